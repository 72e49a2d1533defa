import { isUtf8 } from 'node:buffer';
import { canonicalTopic } from './topic.js';

/** A Mist delivery after decoding: its topic in canonical spelling and its raw events. */
export interface Envelope {
  topic: string;
  events: unknown[];
}

export type EnvelopeErrorCode = 'not_utf8' | 'invalid_json' | 'not_an_object' | 'no_topic' | 'no_events';

export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Bytes → envelope. Only the envelope is checked here; each event is judged on its own later so
 * that one malformed event cannot lose its siblings.
 */
export function decodeEnvelope(body: Uint8Array): Envelope {
  if (!isUtf8(body)) throw new EnvelopeError('not_utf8', 'body is not valid UTF-8');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    // V8 reports both syntax errors and too-deep nesting (RangeError) here.
    throw new EnvelopeError('invalid_json', `body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new EnvelopeError('not_an_object', 'body must be a JSON object {"topic": ..., "events": [...]}');
  }
  const { topic, events } = doc as { topic?: unknown; events?: unknown };
  if (typeof topic !== 'string' || canonicalTopic(topic) === '') {
    throw new EnvelopeError('no_topic', 'body has no "topic" string');
  }
  if (!Array.isArray(events)) {
    throw new EnvelopeError('no_events', 'body has no "events" array');
  }
  return { topic: canonicalTopic(topic), events };
}
