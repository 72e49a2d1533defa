import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { prometheusText } from '../export/prometheus-text.js';
import { SELF_SCOPE_NAME } from '../signals/providers.js';

/**
 * The self-telemetry in Prometheus text exposition format, collected now. The reader sees every
 * meter of the bridge's provider; /metrics shows only the bridge's own figures (the Mist-derived
 * metrics go to the metrics exporter, with their own cardinality).
 */
export async function renderPrometheus(reader: MetricReader): Promise<string> {
  const { resourceMetrics } = await reader.collect();
  return prometheusText(resourceMetrics, (name) => name === SELF_SCOPE_NAME);
}
