import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import type * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import { nsToHrTime } from '../mapping/time.js';

/** What the producers of per-subject series and aggregates are built with. */
export interface SeriesOptions {
  now: () => bigint;
  /** Series per metric; further ones share one series marked `otel.metric.overflow`. */
  maxSeries: number;
  /** How long a series lives without a point when its point named no subject TTL. */
  defaultTtlNs: bigint;
  /** The exporter's temporality per instrument kind (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE). */
  temporality: sdkMetrics.AggregationTemporalitySelector;
}

/** The metrics SubjectMetrics records: observed counters, aggregates over subjects, and gauges of files with a subject. */
export function isSubjectMetric(declaration: MetricDeclaration): boolean {
  return declaration.aggregate !== undefined || declaration.counter === 'observed' || (declaration.instrument === 'gauge' && declaration.subject === true);
}

export const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * An attribute set as a map key. Mapped points of one metric carry their attributes in one key
 * order (the mapping builds them so), so no sorting is needed.
 */
export function attributesKey(attributes: Attributes): string {
  let key = '';
  for (const k in attributes) {
    const v = attributes[k];
    key += `${k}\u0001${typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b'}${String(v)}\u0002`;
  }
  return key;
}

export function descriptor(declaration: MetricDeclaration): sdkMetrics.MetricDescriptor {
  return { name: declaration.name, description: declaration.description, unit: declaration.unit, valueType: ValueType.DOUBLE };
}

/**
 * A producer whose collection can be taken a part at a time (`MetricsExport` sends each part's
 * points before the next part is made), so a large organisation's collection is never held whole:
 * its points die young instead of filling the old generation once a minute. Parts of one
 * collection carry a metric's points in several pieces, each with the metric's one descriptor
 * object, and one scope object, so a request can join them again.
 */
export interface PartedProducer {
  /** One collection, in parts of about `points` data points (a little more at times, often fewer). */
  collectParts(points: number): Generator<sdkMetrics.ScopeMetrics>;
}

class Point<T> implements sdkMetrics.DataPoint<T> {
  constructor(
    readonly startTime: HrTime,
    readonly endTime: HrTime,
    readonly attributes: Attributes,
    readonly value: T,
  ) {}
}

/**
 * The data points of one collection, made so that they die young once their part is sent:
 *
 * - by a class, not an object literal: V8 allocates the objects of a literal's site straight in
 *   the old generation ("pretenuring") once most of them outlive a scavenge, which every point of
 *   a part does while the part is sent; each collection's points would then fill the old
 *   generation until its next mark-compact;
 * - consecutive points at the same times (a subject's series, reported by one message; the
 *   aggregates, stamped with the collection's time) share their HrTime, which nothing changes.
 */
export class PointMaker {
  private endNs = -1n;
  private end: HrTime = [0, 0];
  private startNs = -1n;
  private start: HrTime = [0, 0];

  point<T>(attributes: Attributes, startNs: bigint, endNs: bigint, value: T): sdkMetrics.DataPoint<T> {
    if (endNs !== this.endNs) {
      this.endNs = endNs;
      this.end = nsToHrTime(endNs);
    }
    if (startNs === endNs) return new Point(this.end, this.end, attributes, value);
    if (startNs !== this.startNs) {
      this.startNs = startNs;
      this.start = nsToHrTime(startNs);
    }
    return new Point(this.start, this.end, attributes, value);
  }
}
