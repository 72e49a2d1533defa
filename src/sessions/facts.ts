import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { toEpochNs } from '../envelope/time.js';
import type { TraceContribution } from '../mapping/types.js';
import type { ClientRef } from './ids.js';

/**
 * The session tracer's vocabulary: the `role` a mapping file's `trace:` section gives an event,
 * and the `values` the tracer reads. Which Mist events play which role (which termination
 * reasons are abnormal, which NAC event types are verdicts or checks) is decided in
 * mappings/*.yaml with `when:`; this file only turns a contribution into a typed fact.
 *
 * Every role needs the values `site_id` and `client_mac`, and should carry `org_id` (part of the trace id).
 *   join                  an association began (client-join): `ap`, `connect_time`, `connect`
 *   roam                  an association ended because the client roamed (client-sessions):
 *   disconnect              the same plus `disconnect_time` (or `duration`); `disconnect` ends the session
 *   disconnect-error        normally, `disconnect-error` abnormally (error status); `reason`
 *                           (optional) names the termination for the status message
 *   ip                    an address was assigned (client-info, NAC_CLIENT_IP_ASSIGNED): `ip`
 *   auth-permit           NAC verdicts: `type`, optional `text` (the reason Mist gives)
 *   auth-deny
 *   auth-check            NAC certificate / IdP / MDM checks before a verdict: `type`, `text`
 *   auth-check-error
 * The time of ip and auth facts is the event time (`TraceContribution.timeNs`).
 */
export const ROLES = [
  'join',
  'roam',
  'disconnect',
  'disconnect-error',
  'ip',
  'auth-permit',
  'auth-deny',
  'auth-check',
  'auth-check-error',
] as const;
export type Role = (typeof ROLES)[number];

export type AssociationEnd = 'roam' | 'ok' | 'error';
export type AuthOutcome = 'permit' | 'deny' | 'check' | 'check-error';

export interface AssociationFact {
  kind: 'association';
  ap: string;
  /** Mist's integer `connect` second: the part of the association's identity. */
  connectSec: number;
  connectNs: bigint;
  /** Present when this is the association's client-sessions record. */
  end?: { disconnectNs: bigint; outcome: AssociationEnd; reason?: string };
  attributes: Attributes;
}

export interface AuthFact {
  kind: 'auth';
  outcome: AuthOutcome;
  type: string;
  timeNs: bigint;
  text?: string;
  attributes: Attributes;
}

export interface IpFact {
  kind: 'ip';
  ip: string;
  timeNs: bigint;
  attributes: Attributes;
}

export type Fact = AssociationFact | AuthFact | IpFact;

const AUTH_OUTCOMES: Partial<Record<Role, AuthOutcome>> = {
  'auth-permit': 'permit',
  'auth-deny': 'deny',
  'auth-check': 'check',
  'auth-check-error': 'check-error',
};

const END_OUTCOMES: Partial<Record<Role, AssociationEnd>> = {
  roam: 'roam',
  disconnect: 'ok',
  'disconnect-error': 'error',
};

function isPrimitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

// Sessions hold their attributes for hours, and every event parsed from JSON brings its own copy
// of the same org, site, WLAN, AP, SSID and event type strings: one shared copy each saves a
// third of an open session's memory. Bounded, so a stream of unique values cannot grow it.
const POOL_LIMIT = 20_000;
const POOLED_MAX_LENGTH = 64;

export class StringPool {
  private readonly pool = new Map<string, string>();

  intern(value: string): string {
    if (value.length > POOLED_MAX_LENGTH) return value;
    const pooled = this.pool.get(value);
    if (pooled !== undefined) return pooled;
    if (this.pool.size < POOL_LIMIT) this.pool.set(value, value);
    return value;
  }
}

/**
 * Span attributes take primitives and arrays of one primitive type; nested maps are dropped.
 * Converted once, on arrival: plain objects built in the mapping's key order share one shape,
 * several times smaller than the mapping's prototype-less maps while a session holds them.
 */
export function toSpanAttributes(map: AnyValueMap, pool: StringPool): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(map)) {
    const v = map[key];
    if (typeof v === 'string') out[key] = pool.intern(v);
    else if (isPrimitive(v)) out[key] = v;
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => isPrimitive(x) && typeof x === typeof v[0])) {
      out[key] = v as AttributeValue;
    }
  }
  return out;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** MACs arrive as "5c5b35513227", "5C:5B:35:51:32:27" or "5c-5b-…": one spelling for keys. */
export function normalizeMac(value: unknown): string | undefined {
  const t = text(value);
  return t === undefined ? undefined : t.toLowerCase().replace(/[:.-]/g, '');
}

function connectSecond(explicit: unknown, connectNs: bigint): number {
  const n = typeof explicit === 'string' ? Number(explicit) : explicit;
  if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  return Number(connectNs / 1_000_000_000n);
}

export type ParseResult = { client: ClientRef; fact: Fact } | { problem: string };

/** A contribution → the client it is about and what it says, or why it cannot be used. */
export function parseContribution(c: TraceContribution, pool: StringPool): ParseResult {
  const role = c.role as Role;
  if (!ROLES.includes(role)) return { problem: `unknown trace role "${c.role}"` };
  const v = c.values;
  const org = pool.intern(text(v.org_id) ?? '');
  const site = text(v.site_id);
  const mac = normalizeMac(v.client_mac);
  if (site === undefined || mac === undefined) return { problem: `${c.topic} ${role}: no site_id or client_mac` };
  const client = { org, site: pool.intern(site), mac };
  const attributes = toSpanAttributes(c.attributes, pool);

  if (role === 'ip') {
    const ip = text(v.ip);
    if (ip === undefined) return { problem: `${c.topic} ip: no ip` };
    return { client, fact: { kind: 'ip', ip, timeNs: c.timeNs, attributes } };
  }
  const outcome = AUTH_OUTCOMES[role];
  if (outcome !== undefined) {
    const type = pool.intern(text(v.type) ?? role);
    const fact: AuthFact = { kind: 'auth', outcome, type, timeNs: c.timeNs, attributes };
    const reason = text(v.text);
    if (reason !== undefined) fact.text = reason;
    return { client, fact };
  }

  const apMac = normalizeMac(v.ap);
  const ap = apMac === undefined ? undefined : pool.intern(apMac);
  const connectNs = toEpochNs(v.connect_time) ?? toEpochNs(v.connect);
  if (ap === undefined || connectNs === undefined) return { problem: `${c.topic} ${role}: no ap or connect time` };
  const fact: AssociationFact = {
    kind: 'association',
    ap,
    connectSec: connectSecond(v.connect, connectNs),
    connectNs,
    attributes,
  };
  const endOutcome = END_OUTCOMES[role];
  if (endOutcome !== undefined) {
    // Mist's duration (seconds, fractional) stands in when the disconnect time is missing.
    const durationNs = toEpochNs(v.duration);
    const disconnectNs = toEpochNs(v.disconnect_time) ?? (durationNs === undefined ? undefined : connectNs + durationNs);
    if (disconnectNs === undefined) return { problem: `${c.topic} ${role}: no disconnect time or duration` };
    fact.end = { disconnectNs, outcome: endOutcome };
    const reason = text(v.reason);
    if (reason !== undefined) fact.end.reason = reason;
  }
  return { client, fact };
}
