import { SeverityNumber, type AnyValue, type Attributes } from '@opentelemetry/api';
import { toEpochNs } from './time.js';
import { ATTRIBUTE_PREFIX, eventAttributes, toAnyValue } from './attributes.js';
import { compileAlternatives, compileFieldRef, isPresent, parseTemplate, toNumber, toText, type Getter } from './fields.js';
import type { ConditionSpec, LogSpec, MappingFile, MetricSpec, TraceSpec, ValueSpec } from './schema.js';
import type { LogOutput, MetricAttributes, MetricOutput, TraceContribution } from './types.js';

/**
 * A validated mapping file → closures. Everything that can be decided once (field paths,
 * regular expressions, templates, lower-cased enum sets) is decided here, so mapping an event
 * is a walk over prepared functions.
 */

type Predicate = (item: unknown, root: unknown) => boolean;

export const EVENTS_METRIC = 'mist.events';

const TOPIC_ATTR = ATTRIBUTE_PREFIX + 'topic';
const EVENT_TYPE_ATTR = ATTRIBUTE_PREFIX + 'event_type';
const SEVERITY_ATTR = ATTRIBUTE_PREFIX + 'severity';
const TIME_SOURCE_ATTR = ATTRIBUTE_PREFIX + 'timestamp_source';

// Mist started in 2014; a time outside [2014, 2100) is a placeholder (0) or a unit mix-up, and
// the receipt time is more truthful than a log record dated 1970.
const MIN_EVENT_NS = BigInt(Date.UTC(2014, 0, 1)) * 1_000_000n;
const MAX_EVENT_NS = BigInt(Date.UTC(2100, 0, 1)) * 1_000_000n;

const SEVERITY_NUMBERS: Record<string, number> = {
  TRACE: SeverityNumber.TRACE,
  DEBUG: SeverityNumber.DEBUG,
  INFO: SeverityNumber.INFO,
  WARN: SeverityNumber.WARN,
  ERROR: SeverityNumber.ERROR,
  FATAL: SeverityNumber.FATAL,
};

function refList(refs: string | readonly string[]): readonly string[] {
  return typeof refs === 'string' ? [refs] : refs;
}

export function compileCondition(spec: ConditionSpec): Predicate {
  if (spec.all) {
    const parts = spec.all.map(compileCondition);
    return (item, root) => parts.every((p) => p(item, root));
  }
  if (spec.any) {
    const parts = spec.any.map(compileCondition);
    return (item, root) => parts.some((p) => p(item, root));
  }
  if (spec.not) {
    const inner = compileCondition(spec.not);
    return (item, root) => !inner(item, root);
  }
  const get = compileAlternatives(spec.field!);
  // Mist spells enums in either case (NOTICE / notice): every comparison ignores case.
  if (spec.equals !== undefined) {
    const want = String(spec.equals).toLowerCase();
    return (item, root) => toText(get(item, root))?.toLowerCase() === want;
  }
  if (spec.in !== undefined) {
    const set = new Set(spec.in.map((v) => String(v).toLowerCase()));
    return (item, root) => {
      const t = toText(get(item, root));
      return t !== undefined && set.has(t.toLowerCase());
    };
  }
  if (spec.matches !== undefined) {
    const re = new RegExp(spec.matches, 'i');
    return (item, root) => {
      const t = toText(get(item, root));
      return t !== undefined && re.test(t);
    };
  }
  const want = spec.present!;
  return (item, root) => isPresent(get(item, root)) === want;
}

/** A value spec → a getter of the raw value (scalar, object or undefined). */
export function compileValue(spec: ValueSpec | number): Getter {
  if (typeof spec === 'number') return () => spec;
  if (typeof spec === 'string' || Array.isArray(spec)) return compileAlternatives(spec);
  const fallback = spec.default;
  let get: Getter;
  if (spec.value !== undefined) {
    const constant = spec.value;
    get = () => constant;
  } else if (spec.rules !== undefined) {
    const rules = spec.rules.map((r) => ({ when: compileCondition(r.when), value: r.value }));
    get = (item, root) => {
      for (const r of rules) if (r.when(item, root)) return r.value;
      return undefined;
    };
  } else {
    const field = compileAlternatives(spec.field!);
    if (spec.map !== undefined) {
      const table = new Map(Object.entries(spec.map).map(([k, v]) => [k.toLowerCase(), v]));
      get = (item, root) => {
        const raw = field(item, root);
        const t = toText(raw);
        if (t === undefined) return undefined;
        return table.get(t.toLowerCase()) ?? (fallback === undefined ? raw : undefined);
      };
    } else {
      get = field;
    }
  }
  if (spec.case !== undefined) {
    const upper = spec.case === 'upper';
    const inner = get;
    get = (item, root) => {
      const v = inner(item, root);
      return typeof v === 'string' ? (upper ? v.toUpperCase() : v.toLowerCase()) : v;
    };
  }
  if (fallback !== undefined) {
    const inner = get;
    get = (item, root) => {
      const v = inner(item, root);
      return isPresent(v) ? v : fallback;
    };
  }
  return get;
}

/** The first reference holding a plausible time, as epoch ns. */
function compileTime(refs: string | readonly string[]): (item: unknown, root: unknown) => bigint | undefined {
  const getters = refList(refs).map(compileFieldRef);
  return (item, root) => {
    for (const g of getters) {
      const ns = toEpochNs(g(item, root));
      if (ns !== undefined && ns >= MIN_EVENT_NS && ns < MAX_EVENT_NS) return ns;
    }
    return undefined;
  };
}

function compileTemplate(text: string): (item: unknown) => string | undefined {
  const { literals, refs } = parseTemplate(text);
  const getters = refs.map(compileFieldRef);
  const tail = literals.at(-1)!;
  return (item) => {
    let out = '';
    for (let i = 0; i < getters.length; i++) {
      // A template with a missing field is skipped for the next alternative, not printed with holes.
      const t = toText(getters[i]!(item, item));
      if (t === undefined || t === '') return undefined;
      out += literals[i]! + t;
    }
    return out + tail;
  };
}

function compileBody(spec: LogSpec['body']): (event: unknown) => string | undefined {
  if (spec === undefined) return () => undefined;
  const parts = (typeof spec === 'string' ? [spec] : spec).map((alt) => {
    if (typeof alt !== 'string') return compileTemplate(alt.template);
    const get = compileFieldRef(alt);
    return (event: unknown) => {
      const t = toText(get(event, event));
      return t === '' ? undefined : t;
    };
  });
  return (event) => {
    for (const p of parts) {
      const text = p(event);
      if (text !== undefined) return text;
    }
    return undefined;
  };
}

function metricScalar(v: unknown): string | number | boolean | undefined {
  switch (typeof v) {
    case 'string':
      return v === '' ? undefined : v;
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : undefined;
    default:
      return undefined;
  }
}

type AttributeBuilder = (item: unknown, root: unknown) => MetricAttributes;

function compileMetricAttributes(spec: Record<string, ValueSpec>): AttributeBuilder {
  const entries = Object.entries(spec).map(([name, v]) => [name, compileValue(v)] as const);
  return (item, root) => {
    const out: MetricAttributes = {};
    for (const [name, get] of entries) {
      const v = metricScalar(get(item, root));
      if (v !== undefined) out[name] = v;
    }
    return out;
  };
}

type PointEmitter = (event: Record<string, unknown>, timeNs: bigint, out: MetricOutput[]) => void;

function compileMetric(spec: MetricSpec): PointEmitter {
  const name = spec.name;
  const value = compileValue(spec.value ?? 1);
  const scale = spec.scale ?? 1;
  const when = spec.when ? compileCondition(spec.when) : undefined;
  const attributes = compileMetricAttributes(spec.attributes);
  const time = spec.time ? compileTime(spec.time) : undefined;

  const one = (item: unknown, root: unknown, eventNs: bigint, out: MetricOutput[]): void => {
    if (when && !when(item, root)) return;
    const n = toNumber(value(item, root));
    if (n === undefined) return;
    out.push({ name, value: n * scale, attributes: attributes(item, root), timeNs: time?.(item, root) ?? eventNs });
  };
  if (spec.each === undefined) return (event, timeNs, out) => one(event, event, timeNs, out);
  const list = compileFieldRef(spec.each);
  return (event, timeNs, out) => {
    const items = list(event, event);
    if (!Array.isArray(items)) return;
    for (const item of items) one(item, event, timeNs, out);
  };
}

function compileTrace(topic: string, spec: TraceSpec): (event: Record<string, unknown>, timeNs: bigint) => TraceContribution | undefined {
  const role = spec.role;
  const when = spec.when ? compileCondition(spec.when) : undefined;
  const values = Object.entries(spec.values).map(([k, r]) => [k, compileAlternatives(r)] as const);
  const attributes = Object.entries(spec.attributes).map(([k, r]) => [k, compileAlternatives(r)] as const);
  return (event, timeNs) => {
    if (when && !when(event, event)) return undefined;
    const vals: Record<string, unknown> = {};
    for (const [k, get] of values) {
      const v = get(event, event);
      if (v !== undefined) vals[k] = v;
    }
    const attrs = Object.create(null) as Attributes;
    for (const [k, get] of attributes) {
      const v = toAnyValue(get(event, event));
      if (v !== undefined) attrs[k] = v;
    }
    return { topic, role, timeNs, values: vals, attributes: attrs };
  };
}

export interface TopicMapping {
  /** Maps one event (an object) of `topic`; the result arrays are fresh per call. */
  map(topic: string, event: Record<string, unknown>, receivedNs: bigint): {
    logs: LogOutput[];
    metrics: MetricOutput[];
    trace: TraceContribution[];
  };
}

export function compileMapping(file: MappingFile): TopicMapping {
  const time = compileTime(file.time);
  const type = compileAlternatives(file.type);
  const severity = file.severity ? compileValue(file.severity) : undefined;
  const metrics = file.metrics.map(compileMetric);
  const traces = file.trace === undefined ? [] : (Array.isArray(file.trace) ? file.trace : [file.trace]).map((t) => compileTrace(file.topic, t));

  const log = file.log === false ? undefined : file.log;
  const eventName = log?.event_name ?? '';
  const body = compileBody(log?.body);
  const rules = (log?.severity.rules ?? []).map((r) => ({ when: compileCondition(r.when), level: r.level }));
  const defaultLevel = log?.severity.default ?? 'INFO';

  return {
    map(topic, event, receivedNs) {
      const eventNs = time(event, event);
      const timeNs = eventNs ?? receivedNs;
      const eventType = toText(type(event, event));

      const counter: MetricAttributes = { [TOPIC_ATTR]: topic };
      if (eventType) counter[EVENT_TYPE_ATTR] = eventType;
      const sev = severity ? toText(severity(event, event)) : undefined;
      if (sev) counter[SEVERITY_ATTR] = sev.toLowerCase();
      const metricOut: MetricOutput[] = [{ name: EVENTS_METRIC, value: 1, attributes: counter, timeNs }];
      for (const m of metrics) m(event, timeNs, metricOut);

      const logs: LogOutput[] = [];
      if (log) {
        let level = defaultLevel;
        for (const r of rules) {
          if (r.when(event, event)) {
            level = r.level;
            break;
          }
        }
        const attributes = eventAttributes(event);
        attributes[TOPIC_ATTR] = topic;
        attributes['event.name'] = eventName;
        if (eventNs === undefined) attributes[TIME_SOURCE_ATTR] = 'receipt';
        const text: AnyValue = body(event) ?? (eventType || topic);
        logs.push({
          eventName,
          timeNs,
          observedNs: receivedNs,
          severityNumber: SEVERITY_NUMBERS[level]!,
          severityText: level,
          body: text,
          attributes,
        });
      }

      const trace: TraceContribution[] = [];
      for (const t of traces) {
        const c = t(event, timeNs);
        if (c) trace.push(c);
      }
      return { logs, metrics: metricOut, trace };
    },
  };
}
