import { createHash } from 'node:crypto';

/**
 * Trace and span ids derived from Mist's own fields, the way the collector's GitHub receiver
 * derives them from run ids (SHA-256, truncated to the id length): a redelivered webhook, or a
 * second bridge instance fed the same events, arrives at the same ids.
 */

function digestHex(parts: readonly (string | number | bigint)[], bytes: number): string {
  // A separator that cannot occur in the parts keeps ("ab","c") and ("a","bc") apart. Hex of the
  // truncated digest, not a slice of the full hex: sessions hold these ids for hours.
  const id = createHash('sha256').update(parts.join('\u001f')).digest().subarray(0, bytes).toString('hex');
  // All-zero ids are invalid in OTLP; 2^-64 unlikely, but then the id must still be valid.
  return /^0+$/.test(id) ? `${id.slice(0, -1)}1` : id;
}

export interface ClientRef {
  org: string;
  site: string;
  /** Lower-case hex, no separators. */
  mac: string;
}

/**
 * One trace per client session at a site: keyed by the second of the session's first connect
 * (Mist's integer `connect`, identical in client-join and client-sessions, where `connect_float`
 * can differ by a millisecond) or, for an authentication that never led to an association, the
 * nanosecond of its first NAC event.
 */
export function sessionTraceId(client: ClientRef, anchor: string): string {
  return digestHex(['mist-client-session', client.org, client.site, client.mac, anchor], 16);
}

/** A span of the session: its kind and what tells it apart from its siblings. */
export function sessionSpanId(traceId: string, kind: string, ...discriminators: (string | number | bigint)[]): string {
  return digestHex([traceId, kind, ...discriminators], 8);
}
