/**
 * The translation the dashboard checks rely on, pinned to cases from Prometheus' own translator
 * tests (github.com/prometheus/otlptranslator, UnderscoreEscapingWithSuffixes) and to names
 * documented for Grafana/Prometheus OTLP ingestion.
 */
import { describe, expect, it } from 'vitest';
import { type OtlpMetricShape, prometheusLabelName, prometheusMetricName, prometheusSeriesNames } from './prometheus-names.js';

const cases: [OtlpMetricShape, string][] = [
  [{ name: 'requests', unit: '', kind: 'sum', monotonic: true }, 'requests_total'],
  [{ name: 'cpu_usage', unit: '1', kind: 'gauge' }, 'cpu_usage_ratio'],
  [{ name: 'items', unit: '1', kind: 'sum', monotonic: true }, 'items_total'],
  [{ name: 'response_time', unit: 'ms', kind: 'gauge' }, 'response_time_milliseconds'],
  [{ name: 'memory_usage', unit: 'By', kind: 'gauge' }, 'memory_usage_bytes'],
  [{ name: 'requests', unit: '1/s', kind: 'gauge' }, 'requests_per_second'],
  [{ name: 'throughput', unit: 'By/s', kind: 'gauge' }, 'throughput_bytes_per_second'],
  [{ name: 'custom_metric', unit: 'custom_unit', kind: 'gauge' }, 'custom_metric_custom_unit'],
  [{ name: 'custom_metric', unit: '{custom}', kind: 'gauge' }, 'custom_metric'],
  [{ name: 'custom_metric', unit: 'By/{custom}', kind: 'gauge' }, 'custom_metric_bytes'],
  [{ name: 'requests_total', unit: '', kind: 'sum', monotonic: true }, 'requests_total'],
  [{ name: 'cpu_usage_ratio', unit: '1', kind: 'gauge' }, 'cpu_usage_ratio'],
  [{ name: 'response_time_seconds', unit: 's', kind: 'gauge' }, 'response_time_seconds'],
  [
    { name: 'metric__with__multiple__underscores', unit: 'unit__multiple__underscores', kind: 'gauge' },
    'metric_with_multiple_underscores_unit_multiple_underscores',
  ],
  [{ name: 'custom_metric', unit: 'unit@with#special/chars', kind: 'gauge' }, 'custom_metric_unit_with_special_per_chars'],
  [{ name: 'request_duration', unit: 's', kind: 'histogram' }, 'request_duration_seconds'],
  [{ name: 'active_connections', unit: '', kind: 'sum', monotonic: false }, 'active_connections'],
  [{ name: 'uptime', unit: 'd', kind: 'gauge' }, 'uptime_days'],
  [{ name: '123metric', unit: '', kind: 'gauge' }, '_123metric'],
  // OTel-style dotted names, as the bridge and the spanmetrics connector emit them.
  [{ name: 'system.filesystem.usage', unit: 'By', kind: 'gauge' }, 'system_filesystem_usage_bytes'],
  [{ name: 'system.network.dropped', unit: '{packets}', kind: 'sum', monotonic: true }, 'system_network_dropped_total'],
  [{ name: 'http.server.request.duration', unit: 's', kind: 'histogram' }, 'http_server_request_duration_seconds'],
  [{ name: 'mist.session.calls', unit: '', kind: 'sum', monotonic: true }, 'mist_session_calls_total'],
  [{ name: 'mist.session.duration', unit: 's', kind: 'histogram' }, 'mist_session_duration_seconds'],
  [{ name: 'mist.session.duration', unit: 'ms', kind: 'histogram' }, 'mist_session_duration_milliseconds'],
  [{ name: 'mist.device.up', unit: '1', kind: 'gauge' }, 'mist_device_up_ratio'],
  [{ name: 'mist.device.up', unit: '{device}', kind: 'gauge' }, 'mist_device_up'],
  [{ name: 'mist.events', unit: '{event}', kind: 'sum', monotonic: true }, 'mist_events_total'],
  [{ name: 'mist.nac.bytes', unit: 'By', kind: 'sum', monotonic: true }, 'mist_nac_bytes_total'],
];

describe('Prometheus names of OTLP metrics (UnderscoreEscapingWithSuffixes)', () => {
  it.each(cases)('%o → %s', (metric, expected) => {
    expect(prometheusMetricName(metric)).toBe(expected);
  });

  it('stores a classic histogram as _bucket, _sum and _count series', () => {
    expect(prometheusSeriesNames({ name: 'mist.session.duration', unit: 's', kind: 'histogram' })).toEqual([
      'mist_session_duration_seconds_bucket',
      'mist_session_duration_seconds_sum',
      'mist_session_duration_seconds_count',
    ]);
    expect(prometheusSeriesNames({ name: 'mist.device.up', unit: '', kind: 'gauge' })).toEqual(['mist_device_up']);
  });
});

describe('Prometheus label names of OTLP attributes', () => {
  it.each([
    ['http.method', 'http_method'],
    ['mist.site_id', 'mist_site_id'],
    ['service.name', 'service_name'],
    ['span.kind', 'span_kind'],
    ['k8s-pod/name', 'k8s_pod_name'],
    ['123invalid', 'key_123invalid'],
    ['_private', 'key_private'],
    ['__reserved__', '__reserved__'],
  ])('%s → %s', (key, expected) => {
    expect(prometheusLabelName(key)).toBe(expected);
  });
});
