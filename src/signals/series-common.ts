import { type Attributes, ValueType } from '@opentelemetry/api';
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

export function dataPoint<T>(attributes: Attributes, startNs: bigint, endNs: bigint, value: T): sdkMetrics.DataPoint<T> {
  return { startTime: nsToHrTime(startNs), endTime: nsToHrTime(endNs), attributes, value };
}
