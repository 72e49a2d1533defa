import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { MetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Ack } from '../acks/ack.js';
import type { Logger } from '../log/logger.js';
import type { ExportHealth } from './health.js';
import { timedOut } from './patience.js';
import { outcome, type ExportTelemetry } from './records.js';

export interface MetricsExportOptions {
  intervalMs: number;
}

/**
 * The export stage for metrics: every interval, one collection of every instrument and producer,
 * exported as one request. Metric points are cumulative, so a collection that starts after a
 * batch's contribution was recorded carries it: the batch's acknowledgement (metrics) is held
 * until such a collection is exported. A failed collection is simply retried at the next
 * interval, whose cumulative sums carry everything the failed one held.
 */
export class MetricsExport {
  /** Acknowledgements of contributions recorded since the last collection began. */
  private recorded: Ack[] = [];
  private readonly timer: NodeJS.Timeout;
  private running: Promise<boolean> | undefined;

  constructor(
    private readonly exporter: PushMetricExporter,
    private readonly reader: MetricReader,
    /** Called before each collection: hands what was recorded to the SDK's instruments. */
    private readonly beforeCollect: () => void,
    /** Called once a collection's export is over: whether its points are delivered (or given up on). */
    private readonly afterExport: (delivered: boolean) => void,
    options: MetricsExportOptions,
    private readonly health: ExportHealth,
    private readonly telemetry: ExportTelemetry,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.export(), options.intervalMs);
    this.timer.unref();
  }

  /** A batch's metric contribution was recorded: `ack` is held until a collection carrying it is exported. */
  contributed(ack: Ack): void {
    ack.hold('metrics');
    this.recorded.push(ack);
  }

  /** Export one collection; resolves true when the backend took it (or refused it as malformed). */
  export(): Promise<boolean> {
    this.running ??= this.collectAndExport().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Export until a collection is taken or `deadline` (epoch ms) passes. */
  async flush(deadline: number): Promise<boolean> {
    for (;;) {
      if (await beforeDeadline(this.export(), deadline, false)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
    }
  }

  async shutdown(deadline: number): Promise<void> {
    clearInterval(this.timer);
    await beforeDeadline(Promise.allSettled([this.exporter.shutdown()]), deadline, undefined);
  }

  private async collectAndExport(): Promise<boolean> {
    // Everything recorded up to here is in this collection.
    const covered = this.recorded;
    this.recorded = [];
    this.beforeCollect();
    const release = () => {
      for (const ack of covered) ack.release('metrics');
    };
    let result: ExportResult;
    let points = 0;
    const started = performance.now();
    try {
      const { resourceMetrics, errors } = await this.reader.collect();
      for (const e of errors) this.log.warn('metric collection error', { error: String(e) });
      if (resourceMetrics.scopeMetrics.length === 0) {
        this.afterExport(true);
        release();
        return true;
      }
      points = resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, d) => m + d.dataPoints.length, 0), 0);
      result = await new Promise<ExportResult>((resolve) => this.exporter.export(resourceMetrics, resolve));
    } catch (err) {
      result = { code: ExportResultCode.FAILED, error: err as Error };
    }
    if (result.code === ExportResultCode.SUCCESS) {
      this.afterExport(true);
      release();
      this.health.succeeded('metrics');
      this.telemetry.exported('metrics', points, performance.now() - started);
      return true;
    }
    this.telemetry.exportFailed('metrics', points);
    if (timedOut(result.error)) this.telemetry.exportTimedOut('metrics', points);
    this.health.failed('metrics', points, result.error);
    if (outcome(result).malformed) {
      // Refused as such, it would be refused at every interval and hold every batch it covers
      // until the journal fills. Cumulative sums carry what this collection held into the next
      // one, so giving up on this one loses no count, only this point in time.
      this.afterExport(true);
      release();
      this.telemetry.dropped('metrics', 'rejected_by_backend', points);
      this.log.error('metric collection dropped: the backend refused it as malformed', { points, error: result.error?.message });
      return true;
    }
    // Not taken: the next collection covers these contributions too.
    this.afterExport(false);
    this.recorded = covered.concat(this.recorded);
    return false;
  }
}

/** `promise`, or `fallback` once `deadline` (epoch ms) passes: an exporter retrying an unreachable
 * backend on its own must not hold a shutdown past its deadline. */
export async function beforeDeadline<T>(promise: Promise<T>, deadline: number, fallback: T): Promise<T> {
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
