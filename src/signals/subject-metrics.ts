import type { Meter } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import { nowNs } from '../mapping/time.js';
import type { MetricOutput } from '../mapping/types.js';
import { packageVersion } from '../package-root.js';
import { MAX_SERIES } from './metrics.js';
import { SCOPE_NAME } from './providers.js';
import type { PartedProducer } from './series-common.js';
import { SubjectAggregates } from './subject-aggregates.js';
import { SubjectSeries } from './subject-series.js';

const SCOPE = { name: SCOPE_NAME, version: packageVersion };

/** How long an observed count named by no subject stays exported without a new report. */
export const DEFAULT_SERIES_TTL_NS = 10n * 60n * 1_000_000_000n;

export interface SubjectMetricsOptions {
  now?: () => bigint;
  /** Series per metric (default MAX_SERIES); further ones share one `otel.metric.overflow` series. */
  maxSeries?: number;
  /** The metric exporter's temporality per instrument kind; cumulative when not given. */
  temporality?: sdkMetrics.AggregationTemporalitySelector;
}

/**
 * The points of metrics about subjects (the devices and clients of Mist's stream) and of counts
 * their senders keep, collected by the export loop a part at a time (PartedProducer: a large
 * organisation's collection is hundreds of thousands of points), or whole as a MetricProducer for
 * a reader (`metricReaderOptions.metricProducers`, like EventTimeGauges), because the SDK's
 * instruments can neither stamp a point with its report's time, nor export a count as the sender
 * reports it with the sender's start time, nor forget a series. Which declarations are its:
 * `isSubjectMetric`.
 */
export class SubjectMetrics implements sdkMetrics.MetricProducer, PartedProducer {
  private readonly clock: () => bigint;
  /** Series per metric before the overflow series takes the rest. */
  readonly maxSeries: number;
  private readonly series: SubjectSeries;
  private readonly aggregates: SubjectAggregates;
  private readonly routes = new Map<string, SubjectSeries | SubjectAggregates>();

  constructor(options: SubjectMetricsOptions = {}) {
    this.clock = options.now ?? nowNs;
    this.maxSeries = options.maxSeries ?? MAX_SERIES;
    const common = {
      now: this.clock,
      maxSeries: this.maxSeries,
      defaultTtlNs: DEFAULT_SERIES_TTL_NS,
      temporality: options.temporality ?? (() => sdkMetrics.AggregationTemporality.CUMULATIVE),
    };
    this.series = new SubjectSeries(common);
    this.aggregates = new SubjectAggregates(common);
  }

  declare(declaration: MetricDeclaration): void {
    const part = declaration.aggregate !== undefined ? this.aggregates : this.series;
    part.declare(declaration);
    this.routes.set(declaration.name, part);
  }

  /** The clock the points' receipt is taken by (read once per event by the recorder). */
  now(): bigint {
    return this.clock();
  }

  /** `now`: when the point was received, by `now()`. */
  record(output: MetricOutput, now: bigint): void {
    this.routes.get(output.name)?.record(output, now);
  }

  /** Series and subjects held in memory, and the series of the metric with the most (its share of `maxSeries` is what overflows). */
  get size(): { series: number; subjects: number; fullestMetric: number } {
    return { series: this.series.size, subjects: this.aggregates.size, fullestMetric: Math.max(this.series.fullestMetric, this.aggregates.fullestMetric) };
  }

  /** One collection in parts (PartedProducer), for the export loop: see `MetricsExport`. */
  *collectParts(points: number): Generator<sdkMetrics.ScopeMetrics> {
    const now = this.clock();
    for (const metrics of this.series.collect(now, points)) yield { scope: SCOPE, metrics };
    for (const metrics of this.aggregates.collect(now, points)) yield { scope: SCOPE, metrics };
  }

  /** One collection whole (MetricProducer), for a reader that takes it so (a Prometheus scrape). */
  async collect(): Promise<sdkMetrics.CollectionResult> {
    // In one part, each metric comes once.
    const metrics: sdkMetrics.MetricData[] = [];
    for (const part of this.collectParts(Infinity)) metrics.push(...part.metrics);
    return {
      resourceMetrics: {
        // The reader keeps the SDK's resource and takes only our scope metrics.
        resource: emptyResource(),
        scopeMetrics: metrics.length > 0 ? [{ scope: SCOPE, metrics }] : [],
      },
      errors: [],
    };
  }
}

/**
 * The bridge's own gauges of what SubjectMetrics holds in memory (for `src/self`'s meter, so they
 * are on /metrics): the series of subjects (devices) and the subjects behind aggregates (clients),
 * and how close the fullest metric is to the series budget, past which its new series merge into
 * one overflow series. The budget is per metric, so the total alone cannot tell.
 */
export function observeSubjectMetrics(meter: Meter, subjects: SubjectMetrics): void {
  meter
    .createObservableGauge('mist.bridge.subject.series', {
      description: 'Series of devices (and other subjects) held in memory, exported while they report',
      unit: '{series}',
    })
    .addCallback((r) => r.observe(subjects.size.series));
  meter
    .createObservableGauge('mist.bridge.subject.clients', {
      description: 'Clients (subjects of aggregated metrics) held in memory until their TTL passes',
      unit: '{client}',
    })
    .addCallback((r) => r.observe(subjects.size.subjects));
  meter
    .createObservableGauge('mist.bridge.subject.series.per_metric.max', {
      description: 'Series of the device or client metric with the most, counted against the series budget per metric',
      unit: '{series}',
    })
    .addCallback((r) => r.observe(subjects.size.fullestMetric));
  meter
    .createObservableGauge('mist.bridge.subject.series.per_metric.limit', {
      description: "Series a device or client metric may have; past it, a metric's new series share one otel.metric.overflow series",
      unit: '{series}',
    })
    .addCallback((r) => r.observe(subjects.maxSeries));
}
