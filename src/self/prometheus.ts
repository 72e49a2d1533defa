import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { DataPointType, type MetricData, type MetricReader } from '@opentelemetry/sdk-metrics';
import { SELF_SCOPE_NAME } from '../signals/providers.js';
import { prometheusMetricName, prometheusUnitName, type OtlpMetricShape } from './prometheus-names.js';

// The reader sees every meter of the bridge's provider; /metrics shows only the bridge's own
// figures (the Mist-derived metrics go to the OTLP backend, with their own cardinality).
const serializer = new PrometheusSerializer('', false);

function shapeOf(metric: MetricData): OtlpMetricShape {
  const { name, unit } = metric.descriptor;
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return { name, unit, kind: 'sum', monotonic: metric.isMonotonic };
    case DataPointType.GAUGE:
      return { name, unit, kind: 'gauge' };
    case DataPointType.HISTOGRAM:
      return { name, unit, kind: 'histogram' };
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return { name, unit, kind: 'exponentialHistogram' };
  }
}

/**
 * Named as Prometheus names the same metric received over OTLP (unit suffixes, `_total`,
 * `_ratio`), which the serializer alone does not do: it only adds `_total`. The serializer keeps
 * a name that already ends in `_total`, and writes the unit word as the metric's UNIT.
 */
function asPrometheusNames(metric: MetricData): MetricData {
  const descriptor = { ...metric.descriptor, name: prometheusMetricName(shapeOf(metric)), unit: prometheusUnitName(metric.descriptor.unit) };
  return { ...metric, descriptor };
}

/** The self-telemetry in Prometheus text exposition format, collected now. */
export async function renderPrometheus(reader: MetricReader): Promise<string> {
  const { resourceMetrics } = await reader.collect();
  return serializer.serialize({
    resource: resourceMetrics.resource,
    scopeMetrics: resourceMetrics.scopeMetrics
      .filter((s) => s.scope.name === SELF_SCOPE_NAME)
      .map((s) => ({ ...s, metrics: s.metrics.map(asPrometheusNames) })),
  });
}
