import type { Logger } from '@opentelemetry/api-logs';
import { nsToHrTime } from '../envelope/time.js';
import type { LogOutput } from '../mapping/types.js';

export function emitLog(logger: Logger, out: LogOutput): void {
  logger.emit({
    eventName: out.eventName,
    timestamp: nsToHrTime(out.timeNs),
    observedTimestamp: nsToHrTime(out.observedNs),
    severityNumber: out.severityNumber,
    severityText: out.severityText,
    body: out.body,
    attributes: out.attributes,
  });
}
