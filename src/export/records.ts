import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Ack } from '../acks/ack.js';
import type { Logger } from '../log/logger.js';
import { BatchQueue, type ExportOutcome } from './batch-queue.js';
import type { Exporters } from './exporters.js';
import { type ExportHealth, type ExportSignal, httpStatus } from './health.js';
import { timedOut } from './patience.js';

/** What the export stages report about themselves (src/self). */
export interface ExportTelemetry {
  exported(signal: ExportSignal, records: number, durationMs: number): void;
  exportFailed(signal: ExportSignal, records: number): void;
  exportTimedOut(signal: ExportSignal, records: number): void;
  dropped(what: string, reason: string, count: number): void;
}

export interface RecordExportOptions {
  maxBatchSize: number;
  logsScheduleDelayMs: number;
  spansScheduleDelayMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

/**
 * 400 and 413 are the backend refusing this very payload (malformed, too large): a smaller part
 * may pass. Everything else — 401/403 (credentials), 404 (a wrong path), 408/429/5xx, timeouts,
 * network errors — is a fault of the path to the backend, not of the records, and is retried
 * until it clears: dropping on those would lose whatever was acknowledged while it lasted.
 */
export function outcome(result: ExportResult): ExportOutcome {
  if (result.code === ExportResultCode.SUCCESS) return { ok: true };
  const status = httpStatus(result.error);
  return { ok: false, error: result.error, malformed: status === 400 || status === 413 };
}

/**
 * The export stage for log records and spans: one in-order queue each, exporting in batches and
 * retrying until the backend takes them. A record holds its batches' acknowledgements from when
 * it is queued until it is exported (or dropped as malformed, which is counted): that is how
 * whoever keeps a batch learns it may let go of it.
 */
export class RecordExport {
  private readonly logQueue: BatchQueue<ReadableLogRecord, Ack>;
  private readonly spanQueue: BatchQueue<ReadableSpan, readonly Ack[]>;

  constructor(
    exporters: Pick<Exporters, 'logs' | 'traces'>,
    options: RecordExportOptions,
    private readonly health: ExportHealth,
    private readonly telemetry: ExportTelemetry,
    private readonly log: Logger,
  ) {
    const retry = { retryInitialMs: options.retryInitialMs, retryMaxMs: options.retryMaxMs, maxBatchSize: options.maxBatchSize };
    this.logQueue = new BatchQueue<ReadableLogRecord, Ack>(
      (batch) => new Promise((resolve) => exporters.logs.export(batch, (r) => resolve(outcome(r)))),
      { ...retry, scheduleDelayMs: options.logsScheduleDelayMs },
      this.hooks('logs', (ack) => ack.release('logs')),
    );
    this.spanQueue = new BatchQueue<ReadableSpan, readonly Ack[]>(
      (batch) => new Promise((resolve) => exporters.traces.export(batch, (r) => resolve(outcome(r)))),
      { ...retry, scheduleDelayMs: options.spansScheduleDelayMs },
      this.hooks('traces', (acks) => {
        for (const a of acks) a.release('spans');
      }),
    );
  }

  /** The signals' sink for log records. */
  readonly logs = (record: ReadableLogRecord, ack: Ack): void => {
    ack.hold('logs');
    this.logQueue.add(record, ack);
  };

  /** The signals' sink for spans. */
  readonly spans = (span: ReadableSpan, acks: readonly Ack[]): void => {
    for (const a of acks) a.hold('spans');
    this.spanQueue.add(span, acks);
  };

  queued(signal: 'logs' | 'traces'): number {
    return signal === 'logs' ? this.logQueue.size : this.spanQueue.size;
  }

  /** Records waiting for export: what backpressure decisions are made on. */
  get backlog(): number {
    return this.logQueue.size + this.spanQueue.size;
  }

  /** Export everything queued, retrying until `deadline` (epoch ms); true once both queues are empty. */
  async flush(deadline: number): Promise<boolean> {
    const [logs, spans] = await Promise.all([this.logQueue.flush(deadline), this.spanQueue.flush(deadline)]);
    return logs && spans;
  }

  /** Stop, letting go of what was not exported (its batches stay unacknowledged); how many records. */
  stop(): number {
    return this.logQueue.stop() + this.spanQueue.stop();
  }

  private hooks<H>(signal: ExportSignal, release: (held: H) => void) {
    return {
      exported: (batch: object[], held: H[], ms: number) => {
        for (const h of held) release(h);
        this.health.succeeded(signal);
        this.telemetry.exported(signal, batch.length, ms);
      },
      failed: (batch: object[], error: Error | undefined) => {
        this.telemetry.exportFailed(signal, batch.length);
        if (timedOut(error)) this.telemetry.exportTimedOut(signal, batch.length);
        this.health.failed(signal, batch.length, error);
      },
      dropped: (batch: object[], held: H[], error: Error | undefined) => {
        for (const h of held) release(h);
        this.telemetry.dropped(signal, 'rejected_by_backend', batch.length);
        this.log.error('record dropped: the backend refused it as malformed on its own', { signal, records: batch.length, error: error?.message });
      },
    };
  }
}
