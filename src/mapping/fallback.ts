import { SeverityNumber } from '@opentelemetry/api-logs';
import { toEpochNs } from '../envelope/time.js';
import { ATTRIBUTE_PREFIX, eventAttributes } from './attributes.js';
import type { EventMapper, LogOutput, MappedEvent } from './types.js';

const BODY_FIELDS = ['text', 'message', 'reason', 'type'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The mapping every event gets when nothing more specific applies: one INFO log record carrying
 * the event's fields, so no topic is ever dropped for being unknown.
 */
export function fallbackLog(topic: string, event: unknown, receivedNs: bigint): LogOutput {
  const fields = isRecord(event) ? event : { value: event };
  const attributes = eventAttributes(fields);
  attributes[ATTRIBUTE_PREFIX + 'topic'] = topic;
  if (!isRecord(event)) attributes[ATTRIBUTE_PREFIX + 'malformed_event'] = true;

  const eventNs = toEpochNs(fields.timestamp);
  if (eventNs === undefined) attributes[ATTRIBUTE_PREFIX + 'timestamp_source'] = 'receipt';

  const bodyField = BODY_FIELDS.find((f) => typeof fields[f] === 'string' && fields[f] !== '');
  return {
    eventName: `mist.${topic}`,
    timeNs: eventNs ?? receivedNs,
    observedNs: receivedNs,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: bodyField ? (fields[bodyField] as string) : topic,
    attributes,
  };
}

export const fallbackMapper: EventMapper = {
  map(topic, event, receivedNs): MappedEvent {
    return { logs: [fallbackLog(topic, event, receivedNs)], metrics: [], trace: [] };
  },
};
