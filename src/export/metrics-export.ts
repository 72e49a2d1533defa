import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { MetricData, MetricDescriptor, MetricReader, PushMetricExporter, ResourceMetrics, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import { type Ack, NO_ACK } from '../acks/ack.js';
import type { Logger } from '../log/logger.js';
import type { PartedProducer } from '../signals/series-common.js';
import type { ExportHealth } from './health.js';
import { timedOut } from './patience.js';
import { type ExportTelemetry, outcome } from './records.js';

export interface MetricsExportOptions {
  intervalMs: number;
  /** Data points per request; a larger collection goes out in several. */
  maxPointsPerRequest: number;
}

/**
 * The export stage for metrics: every interval, one collection of every instrument and producer,
 * exported in requests of at most `maxPointsPerRequest` points. The reader's collection comes
 * whole; the parted producers' (a stream's devices and clients) a part at a time, each made only
 * once the request before it is sent, so a collection is never held whole. Metric points are
 * cumulative, so a collection that starts after a
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
    /** Producers collected after the reader, a part at a time (not among the reader's producers). */
    private readonly producers: readonly PartedProducer[],
    /** Called before each collection: hands what was recorded to the SDK's instruments. */
    private readonly beforeCollect: () => void,
    /** Called once a collection's export is over: whether its points are delivered (or given up on). */
    private readonly afterExport: (delivered: boolean) => void,
    private readonly options: MetricsExportOptions,
    private readonly health: ExportHealth,
    private readonly telemetry: ExportTelemetry,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.export(), options.intervalMs);
    this.timer.unref();
  }

  /** A batch's metric contribution was recorded: `ack` is held until a collection carrying it is exported. */
  contributed(ack: Ack): void {
    // A batch nobody waits for (a stream message) has nothing to release: keep no reference to it.
    if (ack === NO_ACK) return;
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
    const started = performance.now();
    let resourceMetrics: ResourceMetrics;
    try {
      const collection = await this.reader.collect();
      for (const e of collection.errors) this.log.warn('metric collection error', { error: String(e) });
      resourceMetrics = collection.resourceMetrics;
    } catch (err) {
      return this.notTaken(covered, 0, err as Error);
    }
    let exported = 0;
    let dropped = 0;
    const max = this.options.maxPointsPerRequest;
    const scopes = [resourceMetrics.scopeMetrics, ...this.producers.map((p) => p.collectParts(max))];
    try {
      // Leaving the loop early (a request not taken) gives the parted producers' collections up.
      for (const part of requests(resourceMetrics.resource, scopes, max)) {
        let result: ExportResult;
        try {
          result = await new Promise<ExportResult>((resolve) => this.exporter.export(part.metrics, resolve));
        } catch (err) {
          result = { code: ExportResultCode.FAILED, error: err as Error };
        }
        if (result.code === ExportResultCode.SUCCESS) {
          exported += part.points;
          continue;
        }
        if (!outcome(result).malformed) return this.notTaken(covered, part.points, result.error);
        // Refused as such, it would be refused at every interval and hold every batch it covers
        // until the journal fills. Cumulative sums carry what this request held into the next
        // collection, so giving up on it loses no count, only this point in time.
        dropped += part.points;
        this.telemetry.exportFailed('metrics', part.points);
        this.health.failed('metrics', part.points, result.error);
        this.telemetry.dropped('metrics', 'rejected_by_backend', part.points);
        this.log.error('metric points dropped: the backend refused a request of them as malformed', { points: part.points, error: result.error?.message });
      }
    } catch (err) {
      // A producer failed partway: what it had not handed on goes with the next collection.
      this.log.warn('metric collection error', { error: String(err) });
      return this.notTaken(covered, 0, err as Error);
    }
    this.afterExport(true);
    for (const ack of covered) ack.release('metrics');
    if (dropped === 0) this.health.succeeded('metrics');
    if (exported > 0) this.telemetry.exported('metrics', exported, performance.now() - started);
    return true;
  }

  /** A request the backend did not take for a reason other than its content: the next collection covers it all again. */
  private notTaken(covered: Ack[], points: number, error: Error | undefined): false {
    this.telemetry.exportFailed('metrics', points);
    if (timedOut(error)) this.telemetry.exportTimedOut('metrics', points);
    this.health.failed('metrics', points, error);
    this.afterExport(false);
    this.recorded = covered.concat(this.recorded);
    return false;
  }
}

/**
 * A collection (the scope metrics of each source in turn, taken only as far as needed) as
 * requests of exactly `maxPoints` data points each but the last (none for an empty collection),
 * keeping resource, scope and instrument of every point; the pieces of one metric in one scope
 * (by their descriptor object) become one metric of the request. Requests that went through
 * before one failed are sent again with the next collection: cumulative sums and gauges at their
 * own times, which a time-series store takes as the same samples.
 */
function* requests(resource: Resource, sources: Iterable<Iterable<ScopeMetrics>>, maxPoints: number): Generator<{ metrics: ResourceMetrics; points: number }> {
  let scopes: ScopeMetrics[] = [];
  let joined = new Map<MetricDescriptor, MetricData>();
  let points = 0;
  const flush = () => {
    const part = { metrics: { resource, scopeMetrics: scopes }, points };
    scopes = [];
    joined = new Map();
    points = 0;
    return part;
  };
  for (const source of sources) {
    for (const scope of source) {
      for (const metric of scope.metrics) {
        for (let i = 0; i < metric.dataPoints.length; ) {
          const take = Math.min(maxPoints - points, metric.dataPoints.length - i);
          const slice = metric.dataPoints.slice(i, i + take);
          let last = scopes.at(-1);
          if (last?.scope !== scope.scope) {
            scopes.push((last = { scope: scope.scope, metrics: [] }));
            joined = new Map();
          }
          const same = joined.get(metric.descriptor);
          if (same !== undefined && same.dataPointType === metric.dataPointType) {
            for (const p of slice) (same.dataPoints as unknown[]).push(p);
          } else {
            const piece = { ...metric, dataPoints: slice } as MetricData;
            last.metrics.push(piece);
            joined.set(metric.descriptor, piece);
          }
          points += take;
          i += take;
          if (points >= maxPoints) yield flush();
        }
      }
    }
  }
  if (points > 0) yield flush();
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
