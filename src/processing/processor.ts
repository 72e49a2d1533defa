import { NO_ACK } from '../acks/ack.js';
import type { Logger } from '../log/logger.js';
import type { EventMapper, MappedEvent } from '../mapping/types.js';
import type { SessionTracker } from '../sessions/tracker.js';
import type { LogEmitter } from '../signals/emit.js';
import type { MetricRecorder } from '../signals/metrics.js';
import type { Batch, BatchConsumer, Receipt } from '../sources/contract.js';

export interface ProcessorParts {
  mapper: EventMapper;
  logs: Pick<LogEmitter, 'emit'>;
  metrics: MetricRecorder;
  /** The metric export: holds a batch's acknowledgement until a collection carrying its contribution is exported. */
  metricsContributed(ack: NonNullable<Batch['ack']>): void;
  /** Session tracing, when on. */
  sessions: Pick<SessionTracker, 'observe'> | undefined;
  /** Events whose mapping failed, per batch (each is also logged). */
  unmapped(batch: Batch, count: number): void;
  log: Logger;
}

/**
 * Processing, the same for every source: each event of a batch is mapped by the mapping its
 * source and kind select (mappings/), and what it becomes goes to the signals — log records,
 * metric values, session facts — each holding the batch's acknowledgement until it is exported.
 * A replayed batch owes only the signals it had not delivered before a restart.
 */
export class Processor implements BatchConsumer {
  constructor(private readonly parts: ProcessorParts) {}

  consume(batch: Batch): Promise<Receipt> {
    return Promise.resolve(this.process(batch));
  }

  process(batch: Batch): Receipt {
    const { mapper, logs, metrics, sessions } = this.parts;
    const ack = batch.ack ?? NO_ACK;
    const owesLogs = ack.owes('logs');
    const owesMetrics = ack.owes('metrics');
    const owesSpans = sessions !== undefined && ack.owes('spans');
    const owesAll = owesLogs && owesMetrics && owesSpans;
    let failedEvents = 0;
    let contributed = false;
    for (const event of batch.events) {
      try {
        const mapped = mapper.map(batch.source, batch.kind, event, batch.receivedNs, batch.context);
        batch.observer?.event(event, owesAll ? mapped : owedOf(mapped, owesLogs, owesMetrics, owesSpans));
        if (owesLogs) for (const out of mapped.logs) logs.emit(out, ack);
        if (owesMetrics && mapped.metrics.length > 0) {
          metrics.record(mapped.metrics);
          contributed = true;
        }
        if (owesSpans) for (const contribution of mapped.trace) sessions.observe(contribution, ack);
      } catch (err) {
        // One event that breaks a mapper must not take its siblings down with it.
        failedEvents += 1;
        batch.observer?.eventFailed(event, err);
        this.parts.log.warn('event could not be mapped', { source: batch.source, kind: batch.kind, error: (err as Error).message });
      }
    }
    if (contributed) this.parts.metricsContributed(ack);
    ack.seal();
    if (failedEvents > 0) this.parts.unmapped(batch, failedEvents);
    return { status: 'accepted', events: batch.events.length, duplicates: 0, failedEvents };
  }
}

/** What an event became that is emitted this time: not a replay's signals exported before the restart, nor session facts with sessions off. */
function owedOf(mapped: MappedEvent, logs: boolean, metrics: boolean, spans: boolean): MappedEvent {
  return { logs: logs ? mapped.logs : [], metrics: metrics ? mapped.metrics : [], trace: spans ? mapped.trace : [] };
}
