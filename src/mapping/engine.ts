import { ATTRIBUTE_PREFIX } from './attributes.js';
import type { TopicMapping } from './compile.js';
import { routeKey, WEBHOOK } from './schema.js';
import type { EventMapper, MappedEvent } from './types.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Routes each event to the compiled mapping of its source and kind. A webhook topic no file
 * names goes to the default mapping ("*"): nothing is dropped for being unknown. Another source's
 * kind without a file maps to nothing (the source chose to subscribe to it; its own counters say
 * what arrived).
 */
export class MappingEngine implements EventMapper {
  constructor(
    /** By `routeKey(source, kind)`. */
    private readonly routes: ReadonlyMap<string, TopicMapping>,
    private readonly fallback: TopicMapping,
  ) {}

  map(source: string, kind: string, event: unknown, receivedNs: bigint, context?: Readonly<Record<string, string>>): MappedEvent {
    const mapping = this.routes.get(routeKey(source, kind));
    if (source !== WEBHOOK) {
      if (mapping === undefined || !isRecord(event)) return { logs: [], metrics: [], trace: [] };
      return mapping.map(kind, event, receivedNs, context);
    }
    if (isRecord(event)) return (mapping ?? this.fallback).map(kind, event, receivedNs, context);
    // An event that is not an object still becomes a record of what arrived, flagged.
    const mapped = this.fallback.map(kind, { value: event }, receivedNs, context);
    for (const log of mapped.logs) log.attributes[ATTRIBUTE_PREFIX + 'malformed_event'] = true;
    return mapped;
  }
}
