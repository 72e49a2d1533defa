/**
 * What the server sends on the stream (JSON text frames): acknowledgements
 * `{"event":"channel_subscribed","channel":…}` / `channel_unsubscribed`, data
 * `{"event":"data","channel":…,"data":"<JSON document as a string>"}`, and anything else, which
 * for a channel awaiting its acknowledgement means the subscription failed.
 */

export type Frame =
  | { type: 'subscribed'; channel: string }
  | { type: 'unsubscribed'; channel: string }
  | { type: 'data'; channel: string; data: unknown }
  /** Any other event (`subscribe_failed`, an error…); channel is null when it names none. */
  | { type: 'other'; event: string; channel: string | null; detail: unknown }
  | { type: 'malformed'; reason: string };

export function decodeFrame(text: string): Frame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch (err) {
    return { type: 'malformed', reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return { type: 'malformed', reason: 'not a JSON object' };
  }
  const { event, channel } = frame as Record<string, unknown>;
  const named = typeof channel === 'string' ? channel : null;
  if (typeof event !== 'string') return { type: 'malformed', reason: 'no "event" string' };
  if (named !== null) {
    if (event === 'data') return { type: 'data', channel: named, data: (frame as Record<string, unknown>).data };
    if (event === 'channel_subscribed') return { type: 'subscribed', channel: named };
    if (event === 'channel_unsubscribed') return { type: 'unsubscribed', channel: named };
  }
  return { type: 'other', event, channel: named, detail: (frame as Record<string, unknown>).detail };
}

export type Decoded = { ok: true; document: unknown } | { ok: false; reason: string };

/**
 * A data frame's document. Every captured message carries it as a JSON string to parse again;
 * Mist's OpenAPI text shows an inline object, so that is accepted too.
 */
export function decodeData(data: unknown): Decoded {
  if (typeof data === 'string') {
    try {
      return { ok: true, document: JSON.parse(data) };
    } catch (err) {
      return { ok: false, reason: `data is not JSON: ${(err as Error).message}` };
    }
  }
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) return { ok: true, document: data };
  return { ok: false, reason: `data is ${describe(data)}, not a JSON string or an object` };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** One decoded data message, as the stream hands it on. */
export interface StreamMessage {
  channel: string;
  /** The channel's kind, e.g. `stats/devices`. */
  kind: string;
  /** From the channel: an AP's stats message carries no site_id of its own. */
  siteId: string | null;
  /** The parsed `data`: for the stats channels, one device's or one client's statistics. */
  document: unknown;
  /** Epoch ms the frame was read. */
  receivedAt: number;
}
