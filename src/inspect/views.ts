/**
 * Bounded, JSON-safe copies of what the bridge hands the inspector. Payload values are the
 * sender's: every string is cut, every list capped, so one entry's size has a ceiling whatever
 * arrives, and nothing the bridge keeps using (a mapped record, a body buffer) is held by the feed.
 */

/** What one event became: the shape of the mapping's output (src/mapping/types.ts MappedEvent). */
export interface Became {
  logs: readonly { severityText: string; body: unknown }[];
  /** A stream point's attributes are its own and its subject's (a device's name, site…). */
  metrics: readonly {
    name: string;
    value: number;
    attributes: Readonly<Record<string, unknown>>;
    subject?: { attributes: Readonly<Record<string, unknown>> };
  }[];
  /** Session facts: what the event told the session tracer. */
  trace: readonly { role: string; values: Readonly<Record<string, unknown>> }[];
}

export interface LogView {
  severity: string;
  body: string;
}

export interface MetricView {
  name: string;
  /** NaN and the infinities as text: JSON has no number for them. */
  value: number | string;
  attributes: Record<string, string>;
}

export interface SessionFactView {
  role: string;
  values: Record<string, string>;
}

export interface EventView {
  /** What the event is, read from its own fields (type, mac, ...), for finding it in the body. */
  label: string;
  /** Attributes every metric point carries, shown once: the subject's (a device's name, site…). */
  common?: Record<string, string>;
  /** Set when mapping the event failed. */
  error?: string;
  logs: LogView[];
  metrics: MetricView[];
  sessions: SessionFactView[];
  /** Records of this event not shown (over the per-event caps). */
  omitted: number;
}

export interface BodyView {
  text: string;
  /** Size of the whole body. */
  bytes: number;
  truncated: boolean;
}

export const SHORT_TEXT = 200;
const LONG = 2_000;
const MAX_RECORDS = 50;
const MAX_KEYS = 32;

export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Any value as display text: strings as they are, the rest as JSON (bigints as digits). */
export function asText(value: unknown, max: number): string {
  if (typeof value === 'string') return cut(value, max);
  if (value === undefined) return '';
  if (typeof value === 'bigint') return cut(value.toString(), max);
  try {
    return cut(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value), max);
  } catch {
    return cut(String(value), max);
  }
}

function textMap(source: Readonly<Record<string, unknown>>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  let n = 0;
  for (const key in source) {
    if (n++ >= MAX_KEYS) break;
    out[cut(key, SHORT_TEXT)] = asText(source[key], SHORT_TEXT);
  }
  return out;
}

// Fields that say what a Mist event is and what it is about, most telling first.
const KIND_FIELDS = ['type', 'event_type', 'name', 'channel'] as const;
const SUBJECT_FIELDS = ['mac', 'client_mac', 'ap_name', 'device_name', 'hostname', 'ap', 'site_name', 'id'] as const;

export function describeEvent(event: unknown): string {
  if (typeof event !== 'object' || event === null) return asText(event, SHORT_TEXT);
  const fields = event as Record<string, unknown>;
  const pick = (names: readonly string[]): string | undefined => {
    for (const name of names) {
      const v = fields[name];
      if (typeof v === 'string' || typeof v === 'number') return String(v);
    }
    return undefined;
  };
  return cut([pick(KIND_FIELDS), pick(SUBJECT_FIELDS)].filter((s) => s !== undefined).join(' · '), SHORT_TEXT);
}

/** The subject's attributes when every point has the same subject (mappings share one object per subject), else undefined. */
function commonSubject(metrics: Became['metrics']): Readonly<Record<string, unknown>> | undefined {
  const first = metrics[0]?.subject?.attributes;
  return first !== undefined && metrics.every((m) => m.subject?.attributes === first) ? first : undefined;
}

export function eventView(event: unknown, became: Became): EventView {
  const total = became.logs.length + became.metrics.length + became.trace.length;
  const logs = became.logs.slice(0, MAX_RECORDS).map((l) => ({ severity: cut(l.severityText, SHORT_TEXT), body: asText(l.body, LONG) }));
  const common = commonSubject(became.metrics);
  const metrics = became.metrics.slice(0, MAX_RECORDS).map((m) => ({
    name: cut(m.name, SHORT_TEXT),
    value: Number.isFinite(m.value) ? m.value : String(m.value),
    attributes: textMap(common === undefined && m.subject ? { ...m.subject.attributes, ...m.attributes } : m.attributes),
  }));
  const sessions = became.trace.slice(0, MAX_RECORDS).map((t) => ({ role: cut(t.role, SHORT_TEXT), values: textMap(t.values) }));
  return {
    label: describeEvent(event),
    ...(common !== undefined && { common: textMap(common) }),
    logs,
    metrics,
    sessions,
    omitted: total - logs.length - metrics.length - sessions.length,
  };
}

export function failedEventView(event: unknown, error: unknown): EventView {
  const message = error instanceof Error ? error.message : String(error);
  return { label: describeEvent(event), error: cut(message, LONG), logs: [], metrics: [], sessions: [], omitted: 0 };
}

const decoder = new TextDecoder('utf-8', { fatal: false });

export function bodyView(body: Uint8Array | string, maxBytes: number): BodyView {
  if (typeof body === 'string') {
    const bytes = Buffer.byteLength(body);
    // Cut by characters first: a string far over the limit is not encoded whole.
    const head = bytes <= maxBytes ? body : decoder.decode(Buffer.from(body.slice(0, maxBytes)).subarray(0, maxBytes));
    return { text: head, bytes, truncated: bytes > maxBytes };
  }
  const truncated = body.byteLength > maxBytes;
  return { text: decoder.decode(truncated ? body.subarray(0, maxBytes) : body), bytes: body.byteLength, truncated };
}
