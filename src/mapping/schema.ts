import { z } from 'zod';
import { type FieldRef, FieldRefError, parseFieldRef, parseTemplate, TemplateError } from './fields.js';

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
      rules: z
        .array(z.object({ when: condition, value: scalar }).strict())
        .min(1)
        .optional(),
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

const attributeName = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'attribute names are lower-case and dotted, e.g. mist.site_id');

const metricName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, 'metric names are lower-case and dotted, e.g. mist.client.latency.dhcp.avg')
  .refine((n) => !/[._](seconds|secs|ms|millis|bytes|percent|pct|total)$/.test(n), {
    message: 'the unit goes in `unit`, not in the name',
  });

// Per-client and per-event identifiers make a metric's series count grow without bound.
const UNBOUNDED_FIELDS = new Set([
  'mac',
  'client_mac',
  'client',
  'id',
  'event_id',
  'alert_id',
  'audit_id',
  'username',
  'idp_username',
  'user',
  'email',
  'client_ip',
  'ip',
  'ip6',
  'hostname',
  'name',
  'guest',
]);

// The device itself is bounded: a device's MAC and name are what its series are about.
const DEVICE_ATTRIBUTES: Readonly<Record<string, string>> = { mac: 'mist.device_mac', name: 'mist.device_name' };

function valueRefs(v: ValueSpec): readonly string[] {
  return typeof v === 'string' ? [v] : Array.isArray(v) ? v : v.field === undefined ? [] : typeof v.field === 'string' ? [v.field] : v.field;
}

/**
 * The top-level event fields a value reads (the identifiers above are Mist's top-level fields).
 * Inside `each:`, a plain reference reads the element, not the event: only `$.` ones count.
 */
function topLevelFields(v: ValueSpec, inEach: boolean): string[] {
  return valueRefs(v).flatMap((r) => {
    let ref: FieldRef;
    try {
      ref = parseFieldRef(r);
    } catch {
      // A reference that does not parse has its own error, at its own line.
      return [];
    }
    const fromEvent = ref.base === 'root' || (ref.base === 'item' && ref.up === 0 && !inEach);
    return fromEvent && ref.segments.length === 1 ? [ref.segments[0]!] : [];
  });
}

/** Problems of attributes that would make unbounded series; `subjectKey`: a field never allowed (aggregated subjects). */
function unboundedAttributes(attributes: Record<string, ValueSpec>, inEach: boolean, subjectKey: string | undefined): { attr: string; message: string }[] {
  const out: { attr: string; message: string }[] = [];
  for (const [attr, v] of Object.entries(attributes)) {
    const fields = topLevelFields(v, inEach);
    if (subjectKey !== undefined && fields.includes(subjectKey)) {
      out.push({ attr, message: `"${subjectKey}" is the subject key of metrics aggregated over subjects (a client): it is never an attribute` });
      continue;
    }
    const bad = fields.find((f) => UNBOUNDED_FIELDS.has(f) && !(subjectKey === undefined && DEVICE_ATTRIBUTES[f] === attr));
    if (bad !== undefined) {
      out.push({
        attr,
        message: `"${bad}" identifies a client, user or single event: as a metric attribute it makes unbounded series (put it in the log instead)`,
      });
    }
  }
  return out;
}

export const INSTRUMENTS = ['counter', 'gauge', 'histogram'] as const;

/** One `each:` level, or several nested ones (every temperature of every member). */
const each = z.union([fieldRef, z.array(fieldRef).min(1)]);

const metric = z
  .object({
    name: metricName,
    instrument: z.enum(INSTRUMENTS),
    unit: z.string().min(1),
    description: z.string().min(1),
    /** Counters default to 1 per event. */
    value: z.union([z.number(), valueSpec]).optional(),
    /** The value is divided by this field's (no point when it is missing or 0): used ÷ total. */
    divide_by: refs.optional(),
    /** Multiplies the value (e.g. 0.001 for milliseconds → seconds, 0.01 for percent → ratio). */
    scale: z
      .number()
      .finite()
      .refine((n) => n !== 0, { message: 'a scale of 0 makes every value 0' })
      .optional(),
    /** Added after scaling (gauges, histograms): `scale: -0.01, offset: 1` turns idle percent into utilisation. */
    offset: z.number().finite().optional(),
    when: condition.optional(),
    /**
     * Record once per element of this field: an array's elements or an object's values (radio_stat's
     * band_24, band_5…), with `$key` the element's key. A list nests levels.
     */
    each: each.optional(),
    /** The point's time when it differs from the event's (resolved against the `each` element). */
    time: refs.optional(),
    /** gauge only: `sample` (a measurement at its time) or `state` (holds until the next event). */
    gauge: z.enum(['sample', 'state']).optional(),
    /**
     * counter only: `increment` (each event adds its value, the default) or `observed` (the value is
     * the sender's own running count, exported as it is; a count that goes back starts again).
     */
    counter: z.enum(['increment', 'observed']).optional(),
    /** observed counters: seconds the count has been running (device uptime): the series starts at the point's time minus this. */
    uptime: refs.optional(),
    /**
     * With a file `subject`: one value per live subject, combined per attribute set. gauge: `count`
     * (live subjects) or `sum` (of their latest values); histogram: `latest` (the distribution of
     * their latest values); observed counter: `sum` (of their increases).
     */
    aggregate: z.enum(['count', 'sum', 'latest']).optional(),
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
    const observed = m.counter === 'observed';
    if (m.instrument !== 'counter' && m.value === undefined && m.aggregate !== 'count') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `a ${m.instrument} needs a \`value\`` });
    }
    if (m.gauge !== undefined && m.instrument !== 'gauge') {
      ctx.addIssue({ code: 'custom', path: ['gauge'], message: 'only a gauge has a `gauge` mode' });
    }
    if (m.counter !== undefined && m.instrument !== 'counter') {
      ctx.addIssue({ code: 'custom', path: ['counter'], message: 'only a counter has a `counter` mode' });
    }
    if (observed && m.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'an observed counter needs a `value`: the count as the sender reports it' });
    }
    if (m.uptime !== undefined && !observed) {
      ctx.addIssue({ code: 'custom', path: ['uptime'], message: 'only an observed counter (`counter: observed`) has an `uptime`' });
    }
    if (m.instrument === 'counter' && m.scale !== undefined && m.scale < 0) {
      ctx.addIssue({ code: 'custom', path: ['scale'], message: 'a counter only goes up: its scale is positive' });
    }
    if (m.instrument === 'counter' && m.offset !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['offset'], message: 'a counter has no `offset`' });
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
    if (m.aggregate !== undefined) {
      const allowed = m.instrument === 'gauge' ? ['count', 'sum'] : m.instrument === 'histogram' ? ['latest'] : observed ? ['sum'] : [];
      if (!allowed.includes(m.aggregate)) {
        const what = m.instrument === 'counter' && !observed ? 'an increment counter (add `counter: observed`)' : `a ${m.instrument}`;
        ctx.addIssue({
          code: 'custom',
          path: ['aggregate'],
          message: `${what} cannot aggregate by \`${m.aggregate}\`${allowed.length ? `; it takes ${allowed.join(' or ')}` : ''}`,
        });
      }
      if (m.aggregate === 'count' && m.value !== undefined)
        ctx.addIssue({ code: 'custom', path: ['value'], message: '`aggregate: count` counts subjects: it takes no `value`' });
      if (m.each !== undefined) ctx.addIssue({ code: 'custom', path: ['each'], message: 'an aggregated metric takes one value per subject: no `each`' });
      if (m.gauge !== undefined || m.identity !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [m.gauge !== undefined ? 'gauge' : 'identity'],
          message: 'an aggregated gauge has no mode or identity: it is exported at collection time, per attribute set',
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
export const WEBHOOK = 'webhook';
/** Subjects not heard from for this long are forgotten, unless their file says otherwise. */
export const DEFAULT_SUBJECT_TTL_S = 600;

const topicKey = z.string().regex(/^(\*|[a-z0-9]+(-[a-z0-9]+)*)$/, 'a topic is lower-case words joined by "-" (or "*" for the default)');
const replacedKey = z
  .string()
  .regex(
    /^([a-z0-9]+(-[a-z0-9]+)*|[a-z][a-z0-9_-]*:[a-z0-9_]+(\/[a-z0-9_-]+)*)$/,
    'a topic (lower-case words joined by "-"), or source:kind for another source (stream:stats/devices)',
  );

/**
 * The one thing each event is about (a device, a wireless client): its state is kept in memory
 * under `key`, which is never exported unless an attribute maps it.
 */
const subject = z
  .object({
    /** The subject's identity in the event (a MAC). */
    key: refs,
    /** Seconds without an event after which the subject is forgotten: a number, or a value (`{ field: _ttl, default: 300 }`). */
    ttl: z.union([z.number().positive(), valueSpec]).default(DEFAULT_SUBJECT_TTL_S),
    /** Attributes every metric of the file carries; an event that lacks one keeps the subject's last value. */
    attributes: z.record(attributeName, valueSpec).default({}),
  })
  .strict();
export type SubjectSpec = z.infer<typeof subject>;

const fileFields = z
  .object({
    /** Webhook files: the canonical topic key (`-` not `_`, lower case), or "*" for topics no file names. */
    topic: topicKey.optional(),
    /** Other topic keys delivered the same way (legacy or alternative spellings). */
    aliases: z.array(z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)).default([]),
    /**
     * Custom files only: the built-in files this file takes the place of (their topics, or
     * `source:kind` for another source: stream:stats/devices). Without it a custom topic, alias or
     * kind that a built-in file maps is an error, so a shadowed built-in is a decision, never an
     * accident.
     */
    replaces: z.union([replacedKey, z.array(replacedKey).min(1)]).optional(),
    /** Where the events come from: `webhook` (the default) or another source (`stream`). */
    source: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*$/, 'a source is a lower-case word, e.g. stream')
      .default(WEBHOOK),
    /** Other sources: which of its kinds of record the file maps (the stream channel past the site: stats/devices). */
    kind: z
      .string()
      .regex(/^[a-z0-9_]+(\/[a-z0-9_-]+)*$/, 'a kind is lower-case words joined by "/", e.g. stats/devices')
      .optional(),
    description: z.string().min(1),
    /** Where the event time is: alternatives, the first usable time wins; otherwise receipt time. */
    time: refs.default('timestamp'),
    /** The event type (`mist.event_type` on the event counter). */
    type: refs.default('type'),
    /** Mist's own severity field, when the topic has one (`mist.severity` on the event counter). */
    severity: refs.optional(),
    subject: subject.optional(),
    /** `false`: metrics only (high-volume topics). */
    log: z.union([log, z.literal(false)]),
    metrics: z.array(metric).default([]),
    trace: z.union([trace, z.array(trace)]).optional(),
  })
  .strict();

/** The key a file is routed by: the topic for webhook files, `source:kind` for the others. */
export function routeKey(source: string, kind: string): string {
  return source === WEBHOOK ? kind : `${source}:${kind}`;
}

export const mappingFileSchema = fileFields
  .superRefine((f, ctx) => {
    if (f.source === WEBHOOK) {
      if (f.topic === undefined)
        ctx.addIssue({ code: 'custom', path: ['topic'], message: 'a webhook file names its `topic` (another source names `source` and `kind`)' });
      if (f.kind !== undefined) ctx.addIssue({ code: 'custom', path: ['kind'], message: 'a webhook file names its `topic`, not a `kind`' });
    } else {
      if (f.kind === undefined) ctx.addIssue({ code: 'custom', path: ['kind'], message: `a ${f.source} file names the \`kind\` it maps (e.g. stats/devices)` });
      if (f.topic !== undefined) ctx.addIssue({ code: 'custom', path: ['topic'], message: 'only webhook files have a `topic`: name the `kind`' });
      if (f.aliases.length > 0) ctx.addIssue({ code: 'custom', path: ['aliases'], message: 'only webhook files have `aliases`' });
    }
    const aggregated = f.metrics.some((m) => m.aggregate !== undefined);
    f.metrics.forEach((m, i) => {
      if (m.aggregate !== undefined && f.subject === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'aggregate'],
          message: 'aggregating over subjects needs a file `subject` (what each event is about)',
        });
      }
      // A subject's gauges hold while it reports and carry its newest identity: no state mode, no identity of their own.
      if (f.subject !== undefined && m.gauge === 'state') {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'gauge'],
          message: 'in a file with a `subject`, a gauge holds its newest value while the subject reports: no `state` mode',
        });
      }
      if (f.subject !== undefined && m.identity !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'identity'],
          message: 'in a file with a `subject`, a series is identified by its subject and its own attributes: no `identity`',
        });
      }
    });
    // The subject key of a file whose metrics aggregate over subjects identifies a client: never an attribute.
    let subjectKey: string | undefined;
    if (aggregated && f.subject !== undefined) {
      const keys = topLevelFields(f.subject.key, false);
      subjectKey = keys[0];
    }
    const problems = [
      ...unboundedAttributes(f.subject?.attributes ?? {}, false, subjectKey).map((p) => ({ path: ['subject', 'attributes', p.attr], message: p.message })),
      ...f.metrics.flatMap((m, i) =>
        unboundedAttributes(m.attributes, m.each !== undefined, subjectKey).map((p) => ({ path: ['metrics', i, 'attributes', p.attr], message: p.message })),
      ),
    ];
    for (const p of problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  })
  .transform((f) => {
    const kind = f.source === WEBHOOK ? f.topic! : f.kind!;
    return { ...f, kind, topic: routeKey(f.source, kind) };
  });

export type MappingFile = z.output<typeof mappingFileSchema>;
