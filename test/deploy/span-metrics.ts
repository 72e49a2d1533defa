/**
 * What the collector's span_metrics connector (otel-collector.yaml) derives from the session spans
 * a bridge exported, as the Prometheus text a backend would hold: for the real-Prometheus test,
 * where no collector runs. The connector's own rules: one `calls` counter and one `duration`
 * histogram per service, span name, kind, status and configured dimension (left out when the
 * span lacks it), plus collector.instance.id; its namespace, histogram unit and buckets are read
 * from otel-collector.yaml. Names and labels by the Prometheus translation (prometheus-names.ts).
 */
import type { ReceivedSpan } from '../support/otlp-receiver.js';
import { SPAN_METRICS_DEFAULT_DIMENSIONS, spanmetricsConnector } from './emitted.js';
import { prometheusLabelName, prometheusMetricName } from './prometheus-names.js';

const KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUSES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

const SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** A Go duration of the collector's configuration ("10ms", "1m", "24h") in seconds. */
export function durationSeconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * SECONDS[m[2]!]!;
}

const escaped = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: [string, string][]) => labels.map(([k, v]) => `${k}="${escaped(v)}"`).join(',');

/** The span metrics of `spans` in the Prometheus text exposition format. */
export function spanMetricsText(spans: readonly ReceivedSpan[], collectorInstanceId = 'test-collector'): string {
  const config = spanmetricsConnector();
  const prefix = config.namespace ? `${config.namespace}.` : '';
  const unit = config.histogram?.unit ?? 'ms';
  const bounds = ((config.histogram as { explicit?: { buckets?: string[] } } | undefined)?.explicit?.buckets ?? []).map(
    (b) => durationSeconds(b) / (SECONDS[unit] ?? 1),
  );
  const calls = prometheusMetricName({ name: `${prefix}calls`, unit: '', kind: 'sum', monotonic: true });
  const duration = prometheusMetricName({ name: `${prefix}duration`, unit, kind: 'histogram' });
  const dimensions = (config.dimensions ?? []).map((d) => d.name);

  const series = new Map<string, { labels: [string, string][]; count: number; sum: number; buckets: number[] }>();
  for (const span of spans) {
    const values: Record<string, unknown> = {
      'service.name': span.resource['service.name'],
      'span.name': span.name,
      'span.kind': KINDS[span.kind],
      'status.code': STATUSES[span.status.code],
      'collector.instance.id': collectorInstanceId,
    };
    for (const d of dimensions) values[d] = span.attributes[d];
    const labels = [...SPAN_METRICS_DEFAULT_DIMENSIONS, ...dimensions]
      .filter((k) => values[k] !== undefined)
      .map((k): [string, string] => [prometheusLabelName(k), String(values[k])]);
    const key = labelText(labels);
    const s = series.get(key) ?? { labels, count: 0, sum: 0, buckets: bounds.map(() => 0) };
    const seconds = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e9;
    const value = seconds / (SECONDS[unit] ?? 1);
    s.count += 1;
    s.sum += value;
    bounds.forEach((b, i) => {
      if (value <= b) s.buckets[i]! += 1;
    });
    series.set(key, s);
  }

  const lines = [`# TYPE ${calls} counter`];
  for (const s of series.values()) lines.push(`${calls}{${labelText(s.labels)}} ${s.count}`);
  lines.push(`# TYPE ${duration} histogram`);
  for (const s of series.values()) {
    const l = labelText(s.labels);
    for (const [i, b] of bounds.entries()) lines.push(`${duration}_bucket{${l},le="${b}"} ${s.buckets[i]}`);
    lines.push(`${duration}_bucket{${l},le="+Inf"} ${s.count}`, `${duration}_sum{${l}} ${s.sum}`, `${duration}_count{${l}} ${s.count}`);
  }
  return lines.join('\n') + '\n';
}
