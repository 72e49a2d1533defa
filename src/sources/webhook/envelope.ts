import { isUtf8 } from 'node:buffer';
import { canonicalTopic } from './topic.js';

/** A Mist delivery after decoding: its topic in canonical spelling and its raw events. */
export interface Envelope {
  topic: string;
  events: unknown[];
}

export type EnvelopeErrorCode = 'not_utf8' | 'invalid_json' | 'too_deep' | 'not_an_object' | 'no_topic' | 'no_events';

/** Deepest nesting accepted. Real Mist bodies nest about 5 levels; every later stage (mapping,
 * deduplication, OTLP serialisation) walks values recursively and must not run out of stack. */
export const MAX_NESTING_DEPTH = 64;

/** Nesting depth of a parsed JSON value, walked without recursion; stops early past `limit`. */
function exceedsDepth(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

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
  if (exceedsDepth(doc, MAX_NESTING_DEPTH)) {
    throw new EnvelopeError('too_deep', `body nests deeper than ${MAX_NESTING_DEPTH} levels`);
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
