import { type AnyValue, type Attributes, SeverityNumber } from '@opentelemetry/api';
import { ATTRIBUTE_PREFIX, eventAttributes, toAnyValue } from './attributes.js';
import { compileAlternatives, compileFieldRef, eventScope, type Getter, isPresent, parseTemplate, type Scope, toNumber, toText } from './fields.js';
import {
  type ConditionSpec,
  DEFAULT_SUBJECT_TTL_S,
  type LogSpec,
  type MappingFile,
  type MetricSpec,
  type SubjectSpec,
  type TraceSpec,
  type ValueSpec,
  WEBHOOK,
} from './schema.js';
import { type Scalar, SubjectMemory } from './subjects.js';
import { toEpochNs } from './time.js';
import type { LogOutput, MetricAttributes, MetricOutput, Subject, TraceContribution } from './types.js';

/**
 * A validated mapping file → closures. Everything that can be decided once (field paths,
 * regular expressions, templates, lower-cased enum sets) is decided here, so mapping an event
 * is a walk over prepared functions.
 */

type Predicate = (scope: Scope) => boolean;

export const EVENTS_METRIC = 'mist.events';

const TOPIC_ATTR = ATTRIBUTE_PREFIX + 'topic';
const SOURCE_ATTR = ATTRIBUTE_PREFIX + 'source';
const KIND_ATTR = ATTRIBUTE_PREFIX + 'kind';
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
    return (s) => parts.every((p) => p(s));
  }
  if (spec.any) {
    const parts = spec.any.map(compileCondition);
    return (s) => parts.some((p) => p(s));
  }
  if (spec.not) {
    const inner = compileCondition(spec.not);
    return (s) => !inner(s);
  }
  const get = compileAlternatives(spec.field!);
  // Mist spells enums in either case (NOTICE / notice): every comparison ignores case.
  if (spec.equals !== undefined) {
    const want = String(spec.equals).toLowerCase();
    return (s) => toText(get(s))?.toLowerCase() === want;
  }
  if (spec.in !== undefined) {
    const set = new Set(spec.in.map((v) => String(v).toLowerCase()));
    return (s) => {
      const t = toText(get(s));
      return t !== undefined && set.has(t.toLowerCase());
    };
  }
  if (spec.matches !== undefined) {
    const re = new RegExp(spec.matches, 'i');
    return (s) => {
      const t = toText(get(s));
      return t !== undefined && re.test(t);
    };
  }
  const want = spec.present!;
  return (s) => isPresent(get(s)) === want;
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
    get = (s) => {
      for (const r of rules) if (r.when(s)) return r.value;
      return undefined;
    };
  } else {
    const field = compileAlternatives(spec.field!);
    if (spec.map !== undefined) {
      const table = new Map(Object.entries(spec.map).map(([k, v]) => [k.toLowerCase(), v]));
      get = (s) => {
        const raw = field(s);
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
    get = (s) => {
      const v = inner(s);
      return typeof v === 'string' ? (upper ? v.toUpperCase() : v.toLowerCase()) : v;
    };
  }
  if (fallback !== undefined) {
    const inner = get;
    get = (s) => {
      const v = inner(s);
      return isPresent(v) ? v : fallback;
    };
  }
  return get;
}

/** The first reference holding a plausible time, as epoch ns. */
function compileTime(refs: string | readonly string[]): (scope: Scope) => bigint | undefined {
  const getters = refList(refs).map(compileFieldRef);
  return (s) => {
    for (const g of getters) {
      const ns = toEpochNs(g(s));
      if (ns !== undefined && ns >= MIN_EVENT_NS && ns < MAX_EVENT_NS) return ns;
    }
    return undefined;
  };
}

function compileTemplate(text: string): (scope: Scope) => string | undefined {
  const { literals, refs } = parseTemplate(text);
  const getters = refs.map(compileFieldRef);
  const tail = literals.at(-1)!;
  return (s) => {
    let out = '';
    for (let i = 0; i < getters.length; i++) {
      // A template with a missing field is skipped for the next alternative, not printed with holes.
      const t = toText(getters[i]!(s));
      if (t === undefined || t === '') return undefined;
      out += literals[i]! + t;
    }
    return out + tail;
  };
}

function compileBody(spec: LogSpec['body']): (scope: Scope) => string | undefined {
  if (spec === undefined) return () => undefined;
  const parts = (typeof spec === 'string' ? [spec] : spec).map((alt) => {
    if (typeof alt !== 'string') return compileTemplate(alt.template);
    const get = compileFieldRef(alt);
    return (s: Scope) => {
      const t = toText(get(s));
      return t === '' ? undefined : t;
    };
  });
  return (s) => {
    for (const p of parts) {
      const text = p(s);
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

const NS_PER_S = 1_000_000_000n;

/** Seconds (a float on the wire) → nanoseconds, exact to the nanosecond the double holds. */
export function secondsToNs(seconds: number): bigint {
  const whole = Math.floor(seconds);
  return BigInt(whole) * NS_PER_S + BigInt(Math.round((seconds - whole) * 1e9));
}

/** What every point of one event shares. */
interface EventContext {
  timeNs: bigint;
  subject: Subject | undefined;
}

type PointEmitter = (scope: Scope, event: EventContext, out: MetricOutput[]) => void;

const NO_ATTRIBUTES: MetricAttributes = Object.freeze({}) as MetricAttributes;

/**
 * `each:` levels → a walk emitting `one` for every innermost element. Mapping is synchronous and
 * a walk never re-enters itself, so each level keeps one scope, moved along its elements.
 */
function compileEach(levels: readonly string[], one: PointEmitter): PointEmitter {
  const getters = levels.map(compileFieldRef);
  const scopes: Scope[] = levels.map(() => ({ item: undefined, key: undefined, parent: undefined, root: undefined, context: undefined }));
  const walk = (depth: number, parent: Scope, event: EventContext, out: MetricOutput[]): void => {
    const collection = getters[depth]!(parent);
    if (typeof collection !== 'object' || collection === null) return;
    const child = scopes[depth]!;
    child.parent = parent;
    child.root = parent.root;
    child.context = parent.context;
    const last = depth === getters.length - 1;
    if (Array.isArray(collection)) {
      for (let i = 0; i < collection.length; i++) {
        child.item = collection[i];
        child.key = String(i);
        if (last) one(child, event, out);
        else walk(depth + 1, child, event, out);
      }
    } else {
      for (const key of Object.keys(collection)) {
        child.item = (collection as Record<string, unknown>)[key];
        child.key = key;
        if (last) one(child, event, out);
        else walk(depth + 1, child, event, out);
      }
    }
    // Nothing of the event stays reachable from the compiled mapping.
    child.item = child.parent = child.root = child.context = undefined;
  };
  return (scope, event, out) => walk(0, scope, event, out);
}

const MAX_INTERNED = 10_000;

// Metric names with a set of attribute names, numbered in the order met: the start of a series
// key (see compileMetric).
const SERIES_SHAPES = new Map<string, number>();

function shapeNumber(metric: string, names: readonly string[]): number {
  const key = [metric, ...[...names].sort()].join('\u0000');
  let n = SERIES_SHAPES.get(key);
  if (n === undefined) SERIES_SHAPES.set(key, (n = SERIES_SHAPES.size + 1));
  return n;
}

function compileMetric(spec: MetricSpec, withSubject: boolean): PointEmitter {
  const name = spec.name;
  const value = spec.aggregate === 'count' ? () => 1 : compileValue(spec.value ?? 1);
  const divideBy = spec.divide_by === undefined ? undefined : compileAlternatives(spec.divide_by);
  const scale = spec.scale ?? 1;
  const offset = spec.offset ?? 0;
  // 35 × 0.01 is 0.35000000000000003, 35 / 100 is 0.35: a scale of 1/n divides by n, after adding
  // the offset times n (1 − 81/100 would be 0.18999999999999995; (81 − 100) / −100 is 0.19).
  const divisor = Number.isInteger(1 / scale) ? 1 / scale : undefined;
  const offsetTimesDivisor = divisor === undefined ? 0 : offset * divisor;
  const when = spec.when ? compileCondition(spec.when) : undefined;
  const time = spec.time ? compileTime(spec.time) : undefined;
  const uptime = spec.uptime === undefined ? undefined : compileAlternatives(spec.uptime);
  const entries = Object.entries(spec.attributes);
  // The series key: the number of the metric with its attribute names, then the values in name
  // order. Short (it is hashed for every point), and the same for one series whichever entry made it.
  if (withSubject) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const attributes = entries.map(([n, v]) => ({ name: n, get: compileValue(v) }));
  const shape = withSubject
    ? `${shapeNumber(
        name,
        entries.map(([n]) => n),
      )}`
    : '';
  // Attributes that are all constants ({ value: receive }) are made once: one object and one key
  // for every point (many subjects' series hold them).
  const constant = withSubject && attributes.length > 0 && entries.every(([, v]) => typeof v === 'object' && !Array.isArray(v) && v.value !== undefined);
  const constantAttributes = constant
    ? Object.freeze(Object.fromEntries(entries.map(([n, v]) => [n, (v as { value: string | number | boolean }).value])))
    : undefined;
  const constantKey = constant ? shape + entries.map(([, v]) => `\u0001${(v as { value: unknown }).value as string}`).join('') : undefined;

  // The own attributes of a subject's series, by series key: the same interfaces and bands recur
  // on every device, so their points share one key string and one attributes object.
  const interned = new Map<string, { key: string; attributes: MetricAttributes }>();
  const values: (string | number | boolean | undefined)[] = new Array(attributes.length);
  const intern = (key: string): { key: string; attributes: MetricAttributes } => {
    const own: MetricAttributes = {};
    attributes.forEach((a, i) => {
      if (values[i] !== undefined) own[a.name] = values[i];
    });
    const entry = { key, attributes: own };
    // Values unbounded in number (a sender's oddity) are not kept: past this they are made per point.
    if (interned.size < MAX_INTERNED) interned.set(key, entry);
    return entry;
  };
  const one = (s: Scope, event: EventContext, out: MetricOutput[]): void => {
    if (when && !when(s)) return;
    let n = toNumber(value(s));
    if (n === undefined) return;
    if (divideBy) {
      const d = toNumber(divideBy(s));
      if (d === undefined || d === 0) return;
      n /= d;
    }
    n = divisor === undefined ? n * scale + offset : (n + offsetTimesDivisor) / divisor;
    if (!Number.isFinite(n)) return;
    let attrs = NO_ATTRIBUTES;
    let seriesKey = shape;
    if (constantAttributes !== undefined) {
      attrs = constantAttributes;
      seriesKey = constantKey!;
    } else if (!withSubject) {
      if (attributes.length > 0) {
        attrs = {};
        for (const a of attributes) {
          const v = metricScalar(a.get(s));
          if (v !== undefined) attrs[a.name] = v;
        }
      }
    } else if (attributes.length > 0) {
      for (let i = 0; i < attributes.length; i++) {
        const v = metricScalar(attributes[i]!.get(s));
        values[i] = v;
        // A missing value keeps its place in the key: (x, missing) is not (missing, x).
        seriesKey += v === undefined ? '\u0001' : `\u0001${v}`;
      }
      const own = interned.get(seriesKey) ?? intern(seriesKey);
      attrs = own.attributes;
      seriesKey = own.key;
    }
    const timeNs = time?.(s) ?? event.timeNs;
    if (!withSubject) {
      out.push(uptime ? { name, value: n, attributes: attrs, timeNs, uptime: uptimeOf(s) } : { name, value: n, attributes: attrs, timeNs });
      return;
    }
    out.push({ name, value: n, attributes: attrs, timeNs, uptime: uptime ? uptimeOf(s) : undefined, subject: event.subject, seriesKey });
  };
  const uptimeOf = (s: Scope): number | undefined => {
    const u = toNumber(uptime!(s));
    return u !== undefined && u >= 0 ? u : undefined;
  };
  if (spec.each === undefined) return one;
  return compileEach(typeof spec.each === 'string' ? [spec.each] : spec.each, one);
}

function compileTrace(topic: string, spec: TraceSpec): (scope: Scope, timeNs: bigint) => TraceContribution | undefined {
  const role = spec.role;
  const when = spec.when ? compileCondition(spec.when) : undefined;
  const values = Object.entries(spec.values).map(([k, r]) => [k, compileAlternatives(r)] as const);
  const attributes = Object.entries(spec.attributes).map(([k, r]) => [k, compileAlternatives(r)] as const);
  return (scope, timeNs) => {
    if (when && !when(scope)) return undefined;
    const vals: Record<string, unknown> = {};
    for (const [k, get] of values) {
      const v = get(scope);
      if (v !== undefined) vals[k] = v;
    }
    const attrs = Object.create(null) as Attributes;
    for (const [k, get] of attributes) {
      const v = toAnyValue(get(scope));
      if (v !== undefined) attrs[k] = v;
    }
    return { topic, role, timeNs, values: vals, attributes: attrs };
  };
}

/** A file's `subject`: who an event is about, how long it is remembered, and its attributes. */
function compileSubject(spec: SubjectSpec): (scope: Scope, receivedNs: bigint) => Subject | undefined {
  const key = compileAlternatives(spec.key);
  const ttl = typeof spec.ttl === 'number' ? undefined : compileValue(spec.ttl);
  const fixedTtlNs = typeof spec.ttl === 'number' ? secondsToNs(spec.ttl) : undefined;
  const fallback = typeof spec.ttl === 'object' && !Array.isArray(spec.ttl) ? toNumber(spec.ttl.default) : undefined;
  const defaultTtlNs = secondsToNs(fallback !== undefined && fallback > 0 ? fallback : DEFAULT_SUBJECT_TTL_S);
  const entries = Object.entries(spec.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const getters = entries.map(([, v]) => compileValue(v));
  const memory = getters.length > 0 ? new SubjectMemory(entries.map(([name]) => name)) : undefined;
  const fresh: (Scalar | undefined)[] = new Array<Scalar | undefined>(getters.length);
  let lastTtl = { seconds: DEFAULT_SUBJECT_TTL_S, ns: secondsToNs(DEFAULT_SUBJECT_TTL_S) };
  return (scope, receivedNs) => {
    const k = toText(key(scope));
    if (k === undefined || k === '') return undefined;
    let ttlNs = fixedTtlNs;
    if (ttlNs === undefined) {
      const seconds = toNumber(ttl!(scope));
      // A TTL that is not a positive number is no TTL: the file's default applies. The same TTL
      // as the last event's is the same value (held by every subject it applies to).
      if (seconds === undefined || !(seconds > 0)) ttlNs = defaultTtlNs;
      else if (seconds === lastTtl.seconds) ttlNs = lastTtl.ns;
      else lastTtl = { seconds, ns: (ttlNs = secondsToNs(seconds)) };
    }
    if (memory === undefined) return { key: k, ttlNs, attributes: NO_ATTRIBUTES, attributesKey: '' };
    for (let i = 0; i < getters.length; i++) fresh[i] = metricScalar(getters[i]!(scope));
    const record = memory.recall(k, fresh, receivedNs, ttlNs);
    return { key: k, ttlNs, attributes: record.attributes, attributesKey: record.key };
  };
}

export interface TopicMapping {
  /**
   * Maps one event (an object) of `kind` (the topic as delivered, for webhook files); the result
   * arrays are fresh per call.
   */
  map(
    kind: string,
    event: Record<string, unknown>,
    receivedNs: bigint,
    context?: Readonly<Record<string, string>>,
  ): {
    logs: LogOutput[];
    metrics: MetricOutput[];
    trace: TraceContribution[];
  };
}

export interface CompileOptions {
  /** Replaces the file's `subject.ttl` (an operator's setting). */
  subjectTtlMs?: number | undefined;
}

export function compileMapping(file: MappingFile, options: CompileOptions = {}): TopicMapping {
  const webhook = file.source === WEBHOOK;
  const time = compileTime(file.time);
  const type = compileAlternatives(file.type);
  const severity = file.severity ? compileValue(file.severity) : undefined;
  const subjectSpec = file.subject && options.subjectTtlMs !== undefined ? { ...file.subject, ttl: options.subjectTtlMs / 1000 } : file.subject;
  const subject = subjectSpec ? compileSubject(subjectSpec) : undefined;
  const metrics = file.metrics.map((m) => compileMetric(m, subject !== undefined));
  const traces = file.trace === undefined ? [] : (Array.isArray(file.trace) ? file.trace : [file.trace]).map((t) => compileTrace(file.topic, t));

  const log = file.log === false ? undefined : file.log;
  const eventName = log?.event_name ?? '';
  const body = compileBody(log?.body);
  const rules = (log?.severity.rules ?? []).map((r) => ({ when: compileCondition(r.when), level: r.level }));
  const defaultLevel = log?.severity.default ?? 'INFO';

  return {
    map(kind, event, receivedNs, context) {
      const scope = eventScope(event, context);
      const eventNs = time(scope);
      const timeNs = eventNs ?? receivedNs;
      const eventType = toText(type(scope));

      const metricOut: MetricOutput[] = [];
      // The event counter counts webhook events; other sources count their messages themselves.
      if (webhook) {
        const counter: MetricAttributes = { [TOPIC_ATTR]: kind };
        if (eventType) counter[EVENT_TYPE_ATTR] = eventType;
        const sev = severity ? toText(severity(scope)) : undefined;
        if (sev) counter[SEVERITY_ATTR] = sev.toLowerCase();
        metricOut.push({ name: EVENTS_METRIC, value: 1, attributes: counter, timeNs });
      }
      // In a file with a subject, an event that names none has no metrics: they would belong to no one.
      const about = subject?.(scope, receivedNs);
      if (subject === undefined || about !== undefined) {
        const shared: EventContext = { timeNs, subject: about };
        for (const m of metrics) m(scope, shared, metricOut);
      }

      const logs: LogOutput[] = [];
      if (log) {
        let level = defaultLevel;
        for (const r of rules) {
          if (r.when(scope)) {
            level = r.level;
            break;
          }
        }
        const attributes = eventAttributes(event);
        if (webhook) attributes[TOPIC_ATTR] = kind;
        else {
          attributes[SOURCE_ATTR] = file.source;
          attributes[KIND_ATTR] = kind;
        }
        attributes['event.name'] = eventName;
        if (eventNs === undefined) attributes[TIME_SOURCE_ATTR] = 'receipt';
        const text: AnyValue = body(scope) ?? (eventType || kind);
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
        const c = t(scope, timeNs);
        if (c) trace.push(c);
      }
      return { logs, metrics: metricOut, trace };
    },
  };
}
