import type { Attributes } from '@opentelemetry/api';
import { type Ack, NO_ACK } from '../acks/ack.js';
import { toEpochNs } from '../mapping/time.js';
import type { TraceContribution } from '../mapping/types.js';
import { type HeldAttributes, holdAttributes, type Interner } from './held.js';
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
export const ROLES = ['join', 'roam', 'disconnect', 'disconnect-error', 'ip', 'auth-permit', 'auth-deny', 'auth-check', 'auth-check-error'] as const;
export type Role = (typeof ROLES)[number];

export type AssociationEnd = 'roam' | 'ok' | 'error';
export type AuthOutcome = 'permit' | 'deny' | 'check' | 'check-error';

/**
 * Every fact is one object of fixed fields (all set when it is made, so V8 keeps them in the
 * object), and is itself what the tracker queues and a session keeps: no wrapper per event.
 */
interface Held {
  attributes: HeldAttributes | undefined;
  /** Wall-clock ms this instance received it. */
  atMs: number;
  /** Its batch's acknowledgement, held (for spans) until the fact is placed and the spans built from it are exported. */
  ack: Ack;
  /** The next fact of its client waiting for the settle time. */
  next: Fact | undefined;
}

export interface AssociationFact extends Held {
  kind: 'association';
  ap: string;
  /** Mist's integer `connect` second: the part of the association's identity. */
  connectSec: number;
  connectNs: bigint;
  /** Its span dimensions (session.ts DIMENSIONS), shared with every association alike. */
  dims: Readonly<Attributes>;
  /** Set when this is the association's client-sessions record. */
  disconnectNs: bigint | undefined;
  outcome: AssociationEnd | undefined;
  reason: string | undefined;
}

export interface AuthFact extends Held {
  kind: 'auth';
  outcome: AuthOutcome;
  type: string;
  timeNs: bigint;
  text: string | undefined;
  /** Its span went out (set by the session that holds it). */
  exported: boolean;
}

export interface IpFact extends Held {
  kind: 'ip';
  ip: string;
  timeNs: bigint;
  exported: boolean;
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

/**
 * A contribution → the client it is about and what it says, or why it cannot be used.
 * `atMs` and `ack`: when it arrived and its batch's acknowledgement.
 */
export function parseContribution(c: TraceContribution, interner: Interner, atMs = 0, ack: Ack = NO_ACK): ParseResult {
  const role = c.role as Role;
  if (!ROLES.includes(role)) return { problem: `unknown trace role "${c.role}"` };
  const v = c.values;
  const org = interner.intern(text(v.org_id) ?? '');
  const site = text(v.site_id);
  const mac = normalizeMac(v.client_mac);
  if (site === undefined || mac === undefined) return { problem: `${c.topic} ${role}: no site_id or client_mac` };
  const client = { org, site: interner.intern(site), mac };

  if (role === 'ip') {
    const ip = text(v.ip);
    if (ip === undefined) return { problem: `${c.topic} ip: no ip` };
    const attributes = holdAttributes(c.attributes, interner);
    return { client, fact: { kind: 'ip', ip, timeNs: c.timeNs, exported: false, attributes, atMs, ack, next: undefined } };
  }
  const outcome = AUTH_OUTCOMES[role];
  if (outcome !== undefined) {
    const type = interner.intern(text(v.type) ?? role);
    const reason = text(v.text);
    const attributes = holdAttributes(c.attributes, interner);
    const fact: AuthFact = {
      kind: 'auth',
      outcome,
      type,
      timeNs: c.timeNs,
      text: reason === undefined ? undefined : interner.intern(reason),
      exported: false,
      attributes,
      atMs,
      ack,
      next: undefined,
    };
    return { client, fact };
  }

  const apMac = normalizeMac(v.ap);
  const ap = apMac === undefined ? undefined : interner.intern(apMac);
  const connectNs = toEpochNs(v.connect_time) ?? toEpochNs(v.connect);
  if (ap === undefined || connectNs === undefined) return { problem: `${c.topic} ${role}: no ap or connect time` };
  const endOutcome = END_OUTCOMES[role];
  let disconnectNs: bigint | undefined;
  let reason: string | undefined;
  if (endOutcome !== undefined) {
    // Mist's duration (seconds, fractional) stands in when the disconnect time is missing.
    const durationNs = toEpochNs(v.duration);
    disconnectNs = toEpochNs(v.disconnect_time) ?? (durationNs === undefined ? undefined : connectNs + durationNs);
    if (disconnectNs === undefined) return { problem: `${c.topic} ${role}: no disconnect time or duration` };
    const r = text(v.reason);
    reason = r === undefined ? undefined : interner.intern(r);
  }
  const attributes = holdAttributes(c.attributes, interner);
  const fact: AssociationFact = {
    kind: 'association',
    ap,
    connectSec: connectSecond(v.connect, connectNs),
    connectNs,
    dims: interner.pick(attributes),
    disconnectNs,
    outcome: endOutcome,
    reason,
    attributes,
    atMs,
    ack,
    next: undefined,
  };
  return { client, fact };
}
