import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { SELF_SCOPE_NAME } from '../signals/providers.js';

// The reader sees every meter of the bridge's provider; /metrics shows only the bridge's own
// figures (the Mist-derived metrics go to the OTLP backend, with their own cardinality).
const serializer = new PrometheusSerializer('', false);

/** The self-telemetry in Prometheus text exposition format, collected now. */
export async function renderPrometheus(reader: MetricReader): Promise<string> {
  const { resourceMetrics } = await reader.collect();
  return serializer.serialize({
    resource: resourceMetrics.resource,
    scopeMetrics: resourceMetrics.scopeMetrics.filter((s) => s.scope.name === SELF_SCOPE_NAME),
  });
}
