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
 * Every role needs the values `org_id`, `site_id`, `client_mac`.
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
  attributes: AnyValueMap;
}

export interface AuthFact {
  kind: 'auth';
  outcome: AuthOutcome;
  type: string;
  timeNs: bigint;
  text?: string;
  attributes: AnyValueMap;
}

export interface IpFact {
  kind: 'ip';
  ip: string;
  timeNs: bigint;
  attributes: AnyValueMap;
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
export function parseContribution(c: TraceContribution): ParseResult {
  const role = c.role as Role;
  if (!ROLES.includes(role)) return { problem: `unknown trace role "${c.role}"` };
  const v = c.values;
  const org = text(v.org_id) ?? '';
  const site = text(v.site_id);
  const mac = normalizeMac(v.client_mac);
  if (site === undefined || mac === undefined) return { problem: `${c.topic} ${role}: no site_id or client_mac` };
  const client = { org, site, mac };

  if (role === 'ip') {
    const ip = text(v.ip);
    if (ip === undefined) return { problem: `${c.topic} ip: no ip` };
    return { client, fact: { kind: 'ip', ip, timeNs: c.timeNs, attributes: c.attributes } };
  }
  const outcome = AUTH_OUTCOMES[role];
  if (outcome !== undefined) {
    const type = text(v.type) ?? role;
    const fact: AuthFact = { kind: 'auth', outcome, type, timeNs: c.timeNs, attributes: c.attributes };
    const reason = text(v.text);
    if (reason !== undefined) fact.text = reason;
    return { client, fact };
  }

  const ap = normalizeMac(v.ap);
  const connectNs = toEpochNs(v.connect_time) ?? toEpochNs(v.connect);
  if (ap === undefined || connectNs === undefined) return { problem: `${c.topic} ${role}: no ap or connect time` };
  const fact: AssociationFact = {
    kind: 'association',
    ap,
    connectSec: connectSecond(v.connect, connectNs),
    connectNs,
    attributes: c.attributes,
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
