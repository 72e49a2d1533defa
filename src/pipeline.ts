import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { logs as sdkLogs, tracing } from '@opentelemetry/sdk-node';
import type { BridgeConfig } from './config/schema.js';
import type { Envelope } from './envelope/decode.js';
import { BatchQueue, type ExportOutcome } from './export/batch-queue.js';
import type { Exporters } from './export/exporters.js';
import type { Logger } from './log/logger.js';
import type { EventMapper } from './mapping/types.js';
import { emitLog } from './signals/emit.js';
import type { MetricRecorder, SessionObserver } from './signals/hooks.js';
import { createSignals, type Signals } from './signals/providers.js';

type ReadableLogRecord = sdkLogs.ReadableLogRecord;
type ReadableSpan = tracing.ReadableSpan;

function outcome(result: ExportResult): ExportOutcome {
  return { ok: result.code === ExportResultCode.SUCCESS, error: result.error };
}

export interface AcceptResult {
  events: number;
  failedEvents: number;
}

/**
 * mapping → signals → export: an accepted envelope is mapped event by event, emitted through
 * the SDK, and queued for in-order export with retries.
 */
export class Pipeline {
  readonly signals: Signals;
  private readonly logQueue: BatchQueue<ReadableLogRecord>;
  private readonly spanQueue: BatchQueue<ReadableSpan>;
  /** Set by the bridge once mapping declarations are known (src/signals/metrics). */
  metrics: MetricRecorder | undefined;
  /** Set by the bridge when session tracing is on (src/sessions). */
  sessions: SessionObserver | undefined;
  private metricsTimer: NodeJS.Timeout | undefined;
  private metricsExporting: Promise<boolean> | undefined;

  constructor(
    private readonly config: BridgeConfig,
    private readonly mapper: EventMapper,
    private readonly exporters: Exporters,
    private readonly log: Logger,
  ) {
    const { export: ex } = config;
    const retry = { retryInitialMs: ex.retryInitialMs, retryMaxMs: ex.retryMaxMs, maxBatchSize: ex.maxBatchSize };
    this.logQueue = new BatchQueue<ReadableLogRecord>(
      (batch) => new Promise((resolve) => exporters.logs.export(batch, (r) => resolve(outcome(r)))),
      { ...retry, scheduleDelayMs: ex.logsScheduleDelayMs },
      { failed: (batch, error, attempt) => this.exportFailed('logs', batch.length, error, attempt) },
    );
    this.spanQueue = new BatchQueue<ReadableSpan>(
      (batch) => new Promise((resolve) => exporters.traces.export(batch, (r) => resolve(outcome(r)))),
      { ...retry, scheduleDelayMs: ex.spansScheduleDelayMs },
      { failed: (batch, error, attempt) => this.exportFailed('traces', batch.length, error, attempt) },
    );
    this.signals = createSignals({
      sinks: {
        logs: (record) => this.logQueue.add([record]),
        spans: (span) => this.spanQueue.add([span]),
      },
      metricReaderOptions: {
        aggregationTemporalitySelector: (type) => exporters.metrics.selectAggregationTemporality?.(type) ?? 1,
      },
    });
    this.metricsTimer = setInterval(() => void this.exportMetrics(), ex.metricsIntervalMs);
    this.metricsTimer.unref();
  }

  /** Records waiting for export: what backpressure decisions are made on. */
  get backlog(): number {
    return this.logQueue.size + this.spanQueue.size;
  }

  accept(envelope: Envelope, receivedNs: bigint): AcceptResult {
    let failedEvents = 0;
    for (const event of envelope.events) {
      try {
        const mapped = this.mapper.map(envelope.topic, event, receivedNs);
        for (const out of mapped.logs) emitLog(this.signals.logger, out);
        if (mapped.metrics.length > 0) this.metrics?.record(mapped.metrics);
        for (const contribution of mapped.trace) this.sessions?.observe(contribution);
      } catch (err) {
        // One event that breaks a mapper must not take its siblings down with it.
        failedEvents += 1;
        this.log.warn('event could not be mapped', { topic: envelope.topic, error: (err as Error).message });
      }
    }
    return { events: envelope.events.length, failedEvents };
  }

  /** Export one collection of every metric; resolves true when the backend took it. */
  exportMetrics(): Promise<boolean> {
    this.metricsExporting ??= (async () => {
      try {
        const { resourceMetrics, errors } = await this.signals.metricReader.collect();
        for (const e of errors) this.log.warn('metric collection error', { error: String(e) });
        if (resourceMetrics.scopeMetrics.length === 0) return true;
        const result = await new Promise<ExportResult>((resolve) => this.exporters.metrics.export(resourceMetrics, resolve));
        if (result.code !== ExportResultCode.SUCCESS) {
          // Cumulative sums carry over to the next collection, so the next success repairs this.
          this.exportFailed('metrics', resourceMetrics.scopeMetrics.length, result.error, 1);
          return false;
        }
        return true;
      } finally {
        this.metricsExporting = undefined;
      }
    })();
    return this.metricsExporting;
  }

  /** Export everything accepted so far, retrying until `deadline` (epoch ms). */
  async flush(deadline: number): Promise<boolean> {
    const [logsDone, spansDone] = await Promise.all([this.logQueue.flush(deadline), this.spanQueue.flush(deadline)]);
    let metricsDone = false;
    while (!metricsDone && Date.now() < deadline) {
      metricsDone = await this.exportMetrics();
      if (!metricsDone) await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
    return logsDone && spansDone && metricsDone;
  }

  async shutdown(deadline: number): Promise<boolean> {
    clearInterval(this.metricsTimer);
    const flushed = await this.flush(deadline);
    this.logQueue.stop();
    this.spanQueue.stop();
    const lost = this.logQueue.drainPending().length + this.spanQueue.drainPending().length;
    if (lost > 0) this.log.error('shutdown deadline reached with records not exported', { records: lost });
    await Promise.allSettled([
      this.signals.shutdown(),
      this.exporters.logs.shutdown(),
      this.exporters.traces.shutdown(),
      this.exporters.metrics.shutdown(),
    ]);
    return flushed;
  }

  private exportFailed(signal: string, count: number, error: Error | undefined, attempt: number): void {
    this.log.warn('export failed; will retry', { signal, records: count, attempt, error: error?.message });
  }
}
