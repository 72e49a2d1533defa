import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { BridgeConfig } from './config/schema.js';
import type { Watermarks } from './durability/journal.js';
import type { Envelope } from './envelope/decode.js';
import { BatchQueue, type ExportOutcome } from './export/batch-queue.js';
import { ExportHealth, httpStatus } from './export/health.js';
import type { Exporters } from './export/exporters.js';
import type { Logger } from './log/logger.js';
import type { EventMapper } from './mapping/types.js';
import { EventTimeGauges, MAX_SERIES } from './signals/metrics.js';
import type { MetricRecorder, SessionObserver } from './signals/hooks.js';
import { createSignals, type Signals } from './signals/providers.js';
import type { ExportSignal, SelfTelemetry } from './self/telemetry.js';

/**
 * 400 and 413 are the backend refusing this very payload (malformed, too large): a smaller part
 * may pass. Everything else — 401/403 (credentials), 404 (a wrong path), 408/429/5xx, timeouts,
 * network errors — is a fault of the path to the backend, not of the records, and is retried
 * until it clears: dropping on those would lose whatever was acknowledged while it lasted.
 */
function outcome(result: ExportResult): ExportOutcome {
  if (result.code === ExportResultCode.SUCCESS) return { ok: true };
  const status = httpStatus(result.error);
  return { ok: false, error: result.error, malformed: status === 400 || status === 413 };
}

/** Which signals an accepted event still owes; a replayed journal row may owe only some. */
export interface Owed {
  logs: boolean;
  spans: boolean;
  metrics: boolean;
}

const ALL_OWED: Owed = { logs: true, spans: true, metrics: true };

/** `promise`, or `fallback` once `deadline` (epoch ms) passes: an exporter retrying an unreachable
 * backend on its own must not hold a shutdown past its deadline. */
async function beforeDeadline<T>(promise: Promise<T>, deadline: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
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
  /** Gauges stamped with their event's time; a producer on the metric reader (src/signals/metrics). */
  readonly gauges = new EventTimeGauges();
  /** Set by the bridge when session tracing is on (src/sessions). */
  sessions: SessionObserver | undefined;
  /** Set by the bridge: the bridge's own counters (src/self). */
  telemetry: SelfTelemetry | undefined;
  /** Whether each signal is exporting, for the logs, /readyz and /metrics. */
  readonly health: ExportHealth;
  private metricsTimer: NodeJS.Timeout | undefined;
  private metricsExporting: Promise<boolean> | undefined;
  // Journal bookkeeping: every record is queued with the seq of the delivery it came from, so
  // the durable copy is released only once all that came from it was exported.
  private currentSeq = 0;
  private lastSeq = 0;
  private metricsThrough = 0;

  constructor(
    private readonly config: BridgeConfig,
    private readonly mapper: EventMapper,
    private readonly exporters: Exporters,
    private readonly log: Logger,
    extraMetricReaders: MetricReader[] = [],
  ) {
    this.health = new ExportHealth(log);
    const { export: ex } = config;
    const retry = { retryInitialMs: ex.retryInitialMs, retryMaxMs: ex.retryMaxMs, maxBatchSize: ex.maxBatchSize };
    this.logQueue = new BatchQueue<ReadableLogRecord>(
      (batch) => new Promise((resolve) => exporters.logs.export(batch, (r) => resolve(outcome(r)))),
      { ...retry, scheduleDelayMs: ex.logsScheduleDelayMs },
      this.queueHooks('logs'),
    );
    this.spanQueue = new BatchQueue<ReadableSpan>(
      (batch) => new Promise((resolve) => exporters.traces.export(batch, (r) => resolve(outcome(r)))),
      { ...retry, scheduleDelayMs: ex.spansScheduleDelayMs },
      this.queueHooks('traces'),
    );
    this.signals = createSignals({
      resource: config.resource,
      sinks: {
        logs: (record) => this.logQueue.add(record, this.currentSeq),
        spans: (span) => this.spanQueue.add(span, this.currentSeq),
      },
      metricReaderOptions: {
        aggregationTemporalitySelector: (type) => exporters.metrics.selectAggregationTemporality?.(type) ?? 1,
        metricProducers: [this.gauges],
        cardinalitySelector: () => MAX_SERIES,
      },
      extraMetricReaders,
    });
    this.metricsTimer = setInterval(() => void this.exportMetrics(), ex.metricsIntervalMs);
    this.metricsTimer.unref();
  }

  queued(signal: 'logs' | 'traces'): number {
    return signal === 'logs' ? this.logQueue.size : this.spanQueue.size;
  }

  /** Records waiting for export: what backpressure decisions are made on. */
  get backlog(): number {
    return this.logQueue.size + this.spanQueue.size;
  }

  /**
   * Map and emit one delivery. `seq` is its journal row (records are tagged with it); `owed`
   * leaves out what was already exported before a restart.
   */
  accept(envelope: Envelope, receivedNs: bigint, seq = this.lastSeq, owed: Owed = ALL_OWED): AcceptResult {
    let failedEvents = 0;
    this.currentSeq = seq;
    this.lastSeq = Math.max(this.lastSeq, seq);
    for (const event of envelope.events) {
      try {
        const mapped = this.mapper.map('webhook', envelope.topic, event, receivedNs);
        if (owed.logs) for (const out of mapped.logs) this.signals.logs.emit(out);
        if (owed.metrics && mapped.metrics.length > 0) this.metrics?.record(mapped.metrics);
        if (owed.spans) for (const contribution of mapped.trace) this.sessions?.observe(contribution, seq);
      } catch (err) {
        // One event that breaks a mapper must not take its siblings down with it.
        failedEvents += 1;
        this.log.warn('event could not be mapped', { topic: envelope.topic, error: (err as Error).message });
      }
    }
    return { events: envelope.events.length, failedEvents };
  }

  /**
   * Per signal, the journal seq through which everything is exported. Spans that end later
   * (sessions swept after their last event) are tagged with the seq current when they end.
   */
  exportedThrough(): Watermarks {
    const through = (headSeq: number | undefined): number => (headSeq === undefined ? this.lastSeq : headSeq - 1);
    const held = this.sessions?.heldFrom();
    const spans = Math.min(through(this.spanQueue.headTag), held === undefined ? Infinity : held - 1);
    return { logs: through(this.logQueue.headTag), spans, metrics: this.metricsThrough };
  }

  /** Export one collection of every metric; resolves true when the backend took it. */
  exportMetrics(): Promise<boolean> {
    this.metricsExporting ??= (async () => {
      // Cumulative: a successful export that starts now covers every delivery accepted so far.
      const through = this.lastSeq;
      this.metrics?.flush();
      try {
        const { resourceMetrics, errors } = await this.signals.metricReader.collect();
        for (const e of errors) this.log.warn('metric collection error', { error: String(e) });
        if (resourceMetrics.scopeMetrics.length === 0) {
          this.metricsThrough = through;
          return true;
        }
        const started = performance.now();
        const points = resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, d) => m + d.dataPoints.length, 0), 0);
        const result = await new Promise<ExportResult>((resolve) => this.exporters.metrics.export(resourceMetrics, resolve));
        if (result.code === ExportResultCode.SUCCESS) {
          this.metricsThrough = through;
          this.health.succeeded('metrics');
          this.telemetry?.exported('metrics', points, performance.now() - started);
          return true;
        }
        this.exportFailed('metrics', points, result.error);
        if (outcome(result).malformed) {
          // Refused as such, it would be refused at every interval and hold every journaled
          // delivery until the journal fills. Cumulative sums carry what this collection held into
          // the next one, so giving up on this one loses no count, only this point in time.
          this.metricsThrough = through;
          this.telemetry?.dropped('metrics', 'rejected_by_backend', points);
          this.log.error('metric collection dropped: the backend refused it as malformed', { points, error: result.error?.message });
          return true;
        }
        return false;
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
      metricsDone = await beforeDeadline(this.exportMetrics(), deadline, false);
      if (!metricsDone) await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
    return logsDone && spansDone && metricsDone;
  }

  /**
   * Flush until `deadline`, then release everything; resolves with the records left unexported
   * and how far each signal got (taken before the queues are emptied).
   */
  async shutdown(deadline: number): Promise<{ flushed: boolean; unexported: number; exported: Watermarks }> {
    clearInterval(this.metricsTimer);
    // Mapping has stopped: session spans that can be completed now must be queued before the flush.
    this.sessions?.sweep(true);
    const flushed = await this.flush(deadline);
    this.logQueue.stop();
    this.spanQueue.stop();
    const exported = this.exportedThrough();
    const unexported = this.logQueue.drainPending().length + this.spanQueue.drainPending().length;
    const closed = Promise.allSettled([
      this.signals.shutdown(),
      this.exporters.logs.shutdown(),
      this.exporters.traces.shutdown(),
      this.exporters.metrics.shutdown(),
    ]);
    await beforeDeadline(closed, deadline, undefined);
    return { flushed, unexported, exported };
  }

  private queueHooks(signal: ExportSignal) {
    return {
      exported: (batch: object[], ms: number) => {
        this.health.succeeded(signal);
        this.telemetry?.exported(signal, batch.length, ms);
      },
      failed: (batch: object[], error: Error | undefined) => this.exportFailed(signal, batch.length, error),
      dropped: (batch: object[], error: Error | undefined) => {
        this.telemetry?.dropped(signal, 'rejected_by_backend', batch.length);
        this.log.error('record dropped: the backend refused it as malformed on its own', { signal, records: batch.length, error: error?.message });
      },
    };
  }

  private exportFailed(signal: ExportSignal, count: number, error: Error | undefined): void {
    this.telemetry?.exportFailed(signal, count);
    this.health.failed(signal, count, error);
  }
}
