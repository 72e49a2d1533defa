import { ATTRIBUTE_PREFIX } from './attributes.js';
import type { TopicMapping } from './compile.js';
import type { EventMapper, MappedEvent } from './types.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Routes each event to its topic's compiled mapping, or to the default mapping ("*") for a topic
 * no file names: nothing is dropped for being unknown.
 */
export class MappingEngine implements EventMapper {
  constructor(
    private readonly topics: ReadonlyMap<string, TopicMapping>,
    private readonly fallback: TopicMapping,
  ) {}

  map(_source: string, topic: string, event: unknown, receivedNs: bigint): MappedEvent {
    if (isRecord(event)) return (this.topics.get(topic) ?? this.fallback).map(topic, event, receivedNs);
    // An event that is not an object still becomes a record of what arrived, flagged.
    const mapped = this.fallback.map(topic, { value: event }, receivedNs);
    for (const log of mapped.logs) log.attributes[ATTRIBUTE_PREFIX + 'malformed_event'] = true;
    return mapped;
  }
}
