import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { type OtlpMetricShape, prometheusLabelName, prometheusMetricName, prometheusUnitName } from './prometheus-names.js';

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

const labelsKey = (attributes: Record<string, unknown>): string => JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * Named as Prometheus names the same metric received over OTLP (unit suffixes, `_total`,
 * `_ratio`; attribute keys by its label rules), which the serializer alone does not do: it only
 * adds `_total`. The serializer keeps a name that already ends in `_total`, and writes the unit
 * word as the metric's UNIT.
 *
 * One sample per series: a scrape stores every sample at the scrape's time, so two points of one
 * series (gauges that carry their events' times hand over every event since the last
 * collection, in time order) would be duplicates to Prometheus. The newest stands for them.
 * Metrics that come to the same name (one OpenTelemetry name declared by several mapping rules)
 * become one family.
 */
function asPrometheusMetrics(metrics: MetricData[]): MetricData[] {
  const families = new Map<string, { metric: MetricData; points: Map<string, MetricData['dataPoints'][number]> }>();
  for (const metric of metrics) {
    const name = prometheusMetricName(shapeOf(metric));
    let family = families.get(name);
    if (!family) {
      const descriptor = { ...metric.descriptor, name, unit: prometheusUnitName(metric.descriptor.unit) };
      family = { metric: { ...metric, descriptor }, points: new Map() };
      families.set(name, family);
    } else if (family.metric.dataPointType !== metric.dataPointType) {
      continue;
    }
    for (const p of metric.dataPoints) {
      const attributes = Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [prometheusLabelName(k), v]));
      family.points.set(labelsKey(attributes), { ...p, attributes });
    }
  }
  return [...families.values()].map(({ metric, points }) => ({ ...metric, dataPoints: [...points.values()] }) as MetricData);
}

/** Metrics in the Prometheus text exposition format, by the names Prometheus gives them over OTLP. */
export function prometheusText(resourceMetrics: ResourceMetrics, scope: (name: string) => boolean = () => true): string {
  return serializer.serialize({
    resource: resourceMetrics.resource,
    scopeMetrics: resourceMetrics.scopeMetrics.filter((s) => scope(s.scope.name)).map((s) => ({ ...s, metrics: asPrometheusMetrics(s.metrics) })),
  });
}
