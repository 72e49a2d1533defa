import type { Meter } from '@opentelemetry/api';
import type { JournalHealth } from '../durability/journal.js';
import type { ExportSignal } from '../export/health.js';

export type { ExportSignal };

/** What the bridge reports about itself. One set of instruments feeds both `GET /metrics` and OTLP. */
export interface SelfTelemetry {
  delivery(statusCode: number): void;
  signatureFailure(reason: string): void;
  events(topic: string, accepted: number, duplicates: number, unmapped: number): void;
  exported(signal: ExportSignal, records: number, durationMs: number): void;
  exportFailed(signal: ExportSignal, records: number): void;
  /** Records of requests the backend did not answer in time: sent again, so they may arrive twice. */
  exportTimedOut(signal: ExportSignal, records: number): void;
  /** Records or deliveries given up on; every call is also logged by the caller. */
  dropped(what: string, reason: string, count: number): void;
}

export interface SelfGauges {
  journalDeliveries(): number;
  journalBytes(): number;
  /** The most the journal may hold (durability.maxBytes). */
  journalLimitBytes(): number;
  journalHealth(): JournalHealth;
  queuedRecords(signal: 'logs' | 'traces'): number;
  dedupEntries(): number;
  /** 0 while the signal exports; otherwise seconds since its current run of failures began. */
  exportFailingSeconds(signal: ExportSignal): number;
}

const MAX_TOPICS = 2000;
const OVERFLOW = '\u0000overflow';

/**
 * The bridge's counters about itself, handed to the stages that move them. What is read from
 * state at collection instead (the journal's size, queue lengths) is `observeSelfState`'s.
 */
export function createSelfTelemetry(meter: Meter): SelfTelemetry {
  // The two counters every delivery moves are kept here and reported at collection (observable
  // counters: the same cumulative sums), sparing the SDK's attribute hashing on each delivery.
  const deliveryCounts = new Map<number, number>();
  const eventCounts = new Map<string, number>();
  meter
    .createObservableCounter('mist.bridge.deliveries', {
      description: 'Webhook deliveries answered, by HTTP status code',
      unit: '{delivery}',
    })
    .addCallback((r) => {
      for (const [code, n] of deliveryCounts) r.observe(n, { 'http.response.status_code': code });
    });
  const signatureFailures = meter.createCounter('mist.bridge.signature.failures', {
    description: 'Deliveries refused because the signature was missing, not allowed or wrong',
    unit: '{delivery}',
  });
  meter
    .createObservableCounter('mist.bridge.events', {
      description: 'Events accepted for export, by topic',
      unit: '{event}',
    })
    .addCallback((r) => {
      for (const [topic, n] of eventCounts) r.observe(n, topic === OVERFLOW ? { 'otel.metric.overflow': true } : { topic });
    });
  const duplicates = meter.createCounter('mist.bridge.events.duplicates', {
    description: 'Events dropped as repeats of one already accepted within the dedup window',
    unit: '{event}',
  });
  const unmapped = meter.createCounter('mist.bridge.events.unmapped', {
    description: 'Events whose mapping failed (each is logged)',
    unit: '{event}',
  });
  const exportedRecords = meter.createCounter('mist.bridge.export.records', {
    description: 'Records (log records, spans, metric data points) the backend accepted, by signal',
    unit: '{record}',
  });
  const failedRecords = meter.createCounter('mist.bridge.export.failures', {
    description: 'Records in export attempts that failed and will be retried, by signal',
    unit: '{record}',
  });
  const exportDuration = meter.createHistogram('mist.bridge.export.duration', {
    description: 'Duration of successful OTLP export requests, by signal',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const timedOut = meter.createCounter('mist.bridge.export.timeouts', {
    description: 'Records in export requests the backend did not answer within the timeout, by signal: sent again, they arrive twice if it had taken them',
    unit: '{record}',
  });
  const dropped = meter.createCounter('mist.bridge.dropped', {
    description: 'Anything given up on after it was accepted, by what and why (each drop is also logged)',
    unit: '{item}',
  });

  return {
    delivery: (statusCode) => void deliveryCounts.set(statusCode, (deliveryCounts.get(statusCode) ?? 0) + 1),
    signatureFailure: (reason) => signatureFailures.add(1, { reason }),
    events(topic, accepted, dups, failed) {
      if (accepted > 0) {
        // Topics come from senders: past the SDK's default cardinality limit (the /metrics reader's)
        // they share the SDK's overflow series.
        const key = eventCounts.has(topic) || eventCounts.size < MAX_TOPICS - 1 ? topic : OVERFLOW;
        eventCounts.set(key, (eventCounts.get(key) ?? 0) + accepted);
      }
      if (dups > 0) duplicates.add(dups, { topic });
      if (failed > 0) unmapped.add(failed, { topic });
    },
    exported(signal, records, durationMs) {
      exportedRecords.add(records, { signal });
      exportDuration.record(durationMs / 1000, { signal });
    },
    exportFailed: (signal, records) => failedRecords.add(records, { signal }),
    exportTimedOut: (signal, records) => timedOut.add(records, { signal }),
    dropped: (what, reason, count) => dropped.add(count, { what, reason }),
  };
}

/** The gauges and state-derived counters of the bridge's own figures, read from `state` at each collection. */
export function observeSelfState(meter: Meter, state: SelfGauges): void {
  meter
    .createObservableGauge('mist.bridge.journal.deliveries', {
      description: 'Accepted deliveries held in the durable journal until their telemetry is exported',
      unit: '{delivery}',
    })
    .addCallback((r) => r.observe(state.journalDeliveries()));
  meter
    .createObservableGauge('mist.bridge.journal.size', {
      description: 'Bytes held in the durable journal, as counted against durability.maxBytes',
      unit: 'By',
    })
    .addCallback((r) => r.observe(state.journalBytes()));
  meter
    .createObservableGauge('mist.bridge.journal.limit', {
      description: 'Bytes the durable journal may hold (durability.maxBytes); when full, deliveries are answered 503',
      unit: 'By',
    })
    .addCallback((r) => r.observe(state.journalLimitBytes()));
  meter
    .createObservableCounter('mist.bridge.journal.write.errors', {
      description: 'Journal writes that failed (a full disk, an I/O error), by operation: append, release, checkpoint',
      unit: '{write}',
    })
    .addCallback((r) => {
      for (const [operation, n] of Object.entries(state.journalHealth().writeErrors)) r.observe(n, { operation });
    });
  meter
    .createObservableGauge('mist.bridge.journal.writable', {
      description: '1 while journal appends succeed, 0 while they fail and deliveries are answered 503',
      // Not "1": Prometheus would store a dimensionless gauge as ..._ratio, which this is not.
      unit: '{journal}',
    })
    .addCallback((r) => r.observe(state.journalHealth().writeFault === undefined ? 1 : 0));
  meter
    .createObservableCounter('mist.bridge.journal.moved_aside', {
      description: 'Damaged journal files moved aside (and replaced by a new journal), by the name they were given',
      unit: '{file}',
    })
    .addCallback((r) => {
      for (const file of state.journalHealth().movedAside) r.observe(1, { file });
    });
  meter
    .createObservableCounter('mist.bridge.journal.salvaged', {
      description: 'Rows of damaged journal files copied into the new journal (salvaged) or lost (unreadable)',
      unit: '{delivery}',
    })
    .addCallback((r) => {
      const health = state.journalHealth();
      r.observe(health.salvagedRows, { outcome: 'salvaged' });
      r.observe(health.unreadableRows, { outcome: 'unreadable' });
    });
  meter
    .createObservableCounter('mist.bridge.journal.thread.restarts', {
      description: 'Journal worker threads (writer, checkpointer) that stopped and were replaced',
      unit: '{restart}',
    })
    .addCallback((r) => {
      for (const [thread, n] of Object.entries(state.journalHealth().threadRestarts)) r.observe(n, { thread });
    });
  meter
    .createObservableGauge('mist.bridge.export.queued', {
      description: 'Records in memory waiting for export, by signal',
      unit: '{record}',
    })
    .addCallback((r) => {
      r.observe(state.queuedRecords('logs'), { signal: 'logs' });
      r.observe(state.queuedRecords('traces'), { signal: 'traces' });
    });
  meter
    .createObservableGauge('mist.bridge.export.failing', {
      description: 'How long export of the signal has been failing without a success (0 while it exports)',
      unit: 's',
    })
    .addCallback((r) => {
      for (const signal of ['logs', 'traces', 'metrics'] as const) r.observe(state.exportFailingSeconds(signal), { signal });
    });
  meter
    .createObservableGauge('mist.bridge.dedup.entries', {
      description: 'Event digests remembered for deduplication',
      unit: '{event}',
    })
    .addCallback((r) => r.observe(state.dedupEntries()));
}
