import type { Codec } from '../contract.js';
import { decodeEnvelope } from './envelope.js';

/**
 * A webhook delivery kept as Mist's own JSON envelope `{"topic": …, "events": […]}`: the body
 * as received when nothing was taken out of it, so a replay decodes exactly what was signed.
 */
export const ENVELOPE_CODEC: Codec = {
  name: 'mist-envelope',
  source: 'webhook',
  encode: (batch) => Buffer.from(JSON.stringify({ topic: batch.kind, events: batch.events })),
  decode: (bytes) => {
    const envelope = decodeEnvelope(bytes);
    return { kind: envelope.topic, events: envelope.events };
  },
};
