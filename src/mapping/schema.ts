import { z } from 'zod';
import { FieldRefError, parseFieldRef, parseTemplate, TemplateError } from './fields.js';

/**
 * The shape of a mapping file (mappings/<topic>.yaml). README "Custom mappings" documents it;
 * every rule here turns into an error naming the file, the path inside it and the problem.
 */

const fieldRef = z.string().superRefine((ref, ctx) => {
  try {
    parseFieldRef(ref);
  } catch (err) {
    if (err instanceof FieldRefError) ctx.addIssue({ code: 'custom', message: err.message });
    else throw err;
  }
});

/** One field, or alternatives (the first present wins). */
const refs = z.union([fieldRef, z.array(fieldRef).min(1)]);

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const regex = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source, 'i');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}` });
  }
});

export interface ConditionSpec {
  field?: string | string[];
  equals?: string | number | boolean;
  in?: (string | number | boolean)[];
  matches?: string;
  present?: boolean;
  all?: ConditionSpec[];
  any?: ConditionSpec[];
  not?: ConditionSpec;
}

const TESTS = ['equals', 'in', 'matches', 'present'] as const;

export const condition: z.ZodType<ConditionSpec> = z.lazy(() =>
  z
    .object({
      field: refs.optional(),
      equals: scalar.optional(),
      in: z.array(scalar).min(1).optional(),
      matches: regex.optional(),
      present: z.boolean().optional(),
      all: z.array(condition).min(1).optional(),
      any: z.array(condition).min(1).optional(),
      not: condition.optional(),
    })
    .strict()
    .superRefine((c, ctx) => {
      const tests = TESTS.filter((t) => c[t] !== undefined);
      const combinators = (['all', 'any', 'not'] as const).filter((t) => c[t] !== undefined);
      if (combinators.length + (c.field !== undefined ? 1 : 0) !== 1) {
        ctx.addIssue({ code: 'custom', message: 'a condition is either `field` with one test, or one of `all`, `any`, `not`' });
      } else if (c.field !== undefined && tests.length !== 1) {
        ctx.addIssue({ code: 'custom', message: `\`field\` needs exactly one of ${TESTS.join(', ')}` });
      } else if (c.field === undefined && tests.length > 0) {
        ctx.addIssue({ code: 'custom', message: `${tests.join(', ')} needs a \`field\`` });
      }
    }),
);

/** A value taken from the event: a field reference, alternatives, or the long form. */
const valueSpec = z.union([
  refs,
  z
    .object({
      field: refs.optional(),
      value: scalar.optional(),
      case: z.enum(['lower', 'upper']).optional(),
      map: z.record(z.string(), scalar).optional(),
      rules: z.array(z.object({ when: condition, value: scalar }).strict()).min(1).optional(),
      default: scalar.optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      const sources = [v.field, v.value, v.rules].filter((s) => s !== undefined).length;
      if (sources !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of `field`, `value`, `rules`' });
      if (v.map !== undefined && v.field === undefined) ctx.addIssue({ code: 'custom', message: '`map` needs a `field`' });
    }),
]);
export type ValueSpec = z.infer<typeof valueSpec>;

export const SEVERITY_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
const level = z.enum(SEVERITY_LEVELS);

const attributeName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'attribute names are lower-case and dotted, e.g. mist.site_id');

const metricName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'metric names are lower-case and dotted, e.g. mist.client.latency.dhcp.avg')
  .refine((n) => !/[._](seconds|secs|ms|millis|bytes|percent|pct|total)$/.test(n), {
    message: 'the unit goes in `unit`, not in the name',
  });

// Per-client and per-event identifiers make a metric's series count grow without bound.
const UNBOUNDED_FIELDS = new Set(['mac', 'client_mac', 'client', 'id', 'event_id', 'alert_id', 'audit_id', 'username', 'idp_username', 'email', 'client_ip', 'ip', 'hostname', 'name']);

/** The top-level event fields a value reads (the identifiers above are Mist's top-level fields). */
function topLevelFields(v: ValueSpec): string[] {
  const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : v.field === undefined ? [] : typeof v.field === 'string' ? [v.field] : v.field;
  return list.flatMap((r) => {
    // A reference that does not parse has its own error, at its own line.
    try {
      const { segments } = parseFieldRef(r);
      return segments.length === 1 ? [segments[0]!] : [];
    } catch {
      return [];
    }
  });
}

export const INSTRUMENTS = ['counter', 'gauge', 'histogram'] as const;

const metric = z
  .object({
    name: metricName,
    instrument: z.enum(INSTRUMENTS),
    unit: z.string().min(1),
    description: z.string().min(1),
    /** Counters default to 1 per event. */
    value: z.union([z.number(), valueSpec]).optional(),
    /** Multiplies the value (e.g. 0.001 for milliseconds → seconds). */
    scale: z.number().positive().optional(),
    when: condition.optional(),
    /** Record once per element of this array field; references then resolve against the element. */
    each: fieldRef.optional(),
    /** The point's time when it differs from the event's (resolved against the `each` element). */
    time: refs.optional(),
    /** gauge only: `sample` (a measurement at its time) or `state` (holds until the next event). */
    gauge: z.enum(['sample', 'state']).optional(),
    /**
     * gauge only: the attributes that identify a series. A point whose other attributes changed
     * (a renamed device) replaces the series instead of leaving the old one reporting.
     */
    identity: z.array(attributeName).min(1).optional(),
    /** histogram only: explicit bucket boundaries. */
    buckets: z.array(z.number()).min(1).optional(),
    attributes: z.record(attributeName, valueSpec).default({}),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.instrument !== 'counter' && m.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `a ${m.instrument} needs a \`value\`` });
    }
    if (m.gauge !== undefined && m.instrument !== 'gauge') {
      ctx.addIssue({ code: 'custom', path: ['gauge'], message: 'only a gauge has a `gauge` mode' });
    }
    if (m.identity !== undefined && m.instrument !== 'gauge') {
      ctx.addIssue({ code: 'custom', path: ['identity'], message: 'only a gauge has an `identity`' });
    }
    m.identity?.forEach((name, i) => {
      if (!(name in m.attributes)) ctx.addIssue({ code: 'custom', path: ['identity', i], message: `"${name}" is not one of the metric's attributes` });
    });
    if (m.buckets !== undefined && m.instrument !== 'histogram') {
      ctx.addIssue({ code: 'custom', path: ['buckets'], message: 'only a histogram has `buckets`' });
    }
    for (const [attr, v] of Object.entries(m.attributes)) {
      const bad = topLevelFields(v).find((s) => UNBOUNDED_FIELDS.has(s));
      if (bad !== undefined && !(bad === 'mac' && attr === 'mist.device_mac')) {
        ctx.addIssue({
          code: 'custom',
          path: ['attributes', attr],
          message: `"${bad}" identifies a client, user or single event: as a metric attribute it makes unbounded series (put it in the log instead)`,
        });
      }
    }
  });
export type MetricSpec = z.infer<typeof metric>;

/** "text {field.ref} text": balanced braces, every placeholder a valid field reference. */
const template = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    try {
      parseTemplate(text);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      // The loader turns `offset` into the line and column of that character in the file.
      ctx.addIssue({ code: 'custom', message: err.message, params: { offset: err.index } });
    }
  });

const body = z.union([refs, z.array(z.union([fieldRef, z.object({ template }).strict()])).min(1)]);


const log = z
  .object({
    /** LogRecord eventName and attribute `event.name`. */
    event_name: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'event names are lower-case and dotted, e.g. mist.alarm'),
    /** Alternatives for the human text; templates interpolate `{field.ref}`. */
    body: body.optional(),
    severity: z
      .object({
        default: level,
        rules: z.array(z.object({ when: condition, level }).strict()).default([]),
      })
      .strict()
      .default({ default: 'INFO', rules: [] }),
  })
  .strict();
export type LogSpec = z.infer<typeof log>;

const trace = z
  .object({
    role: z.string().min(1),
    when: condition.optional(),
    values: z.record(z.string().min(1), refs).default({}),
    attributes: z.record(z.string().min(1), refs).default({}),
  })
  .strict();
export type TraceSpec = z.infer<typeof trace>;

export const DEFAULT_TOPIC = '*';

const topicKey = z.string().regex(/^(\*|[a-z0-9]+(-[a-z0-9]+)*)$/, 'a topic is lower-case words joined by "-" (or "*" for the default)');

export const mappingFileSchema = z
  .object({
    /** The canonical topic key (`-` not `_`, lower case), or "*" for topics no file names. */
    topic: topicKey,
    /** Other topic keys delivered the same way (legacy or alternative spellings). */
    aliases: z.array(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)).default([]),
    /**
     * Custom files only: the built-in topics (files) this file takes the place of. Without it a
     * custom topic or alias that a built-in file maps is an error, so a shadowed built-in is a
     * decision, never an accident.
     */
    replaces: z.union([topicKey, z.array(topicKey).min(1)]).optional(),
    description: z.string().min(1),
    /** Where the event time is: alternatives, the first usable time wins; otherwise receipt time. */
    time: refs.default('timestamp'),
    /** The event type (`mist.event_type` on the event counter). */
    type: refs.default('type'),
    /** Mist's own severity field, when the topic has one (`mist.severity` on the event counter). */
    severity: refs.optional(),
    /** `false`: metrics only (high-volume topics). */
    log: z.union([log, z.literal(false)]),
    metrics: z.array(metric).default([]),
    trace: z.union([trace, z.array(trace)]).optional(),
  })
  .strict();

export type MappingFile = z.infer<typeof mappingFileSchema>;
