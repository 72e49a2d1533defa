import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { DrivenMetricReader, SELF_SCOPE_NAME } from '../signals/providers.js';
import { renderPrometheus } from './prometheus.js';

/** `# TYPE` and `# UNIT` lines of the exposition, by metric family. */
function families(text: string): Map<string, { type?: string; unit?: string }> {
  const out = new Map<string, { type?: string; unit?: string }>();
  for (const m of text.matchAll(/^# (TYPE|UNIT) (\S+) (\S+)$/gm)) {
    const family = out.get(m[2]!) ?? {};
    family[m[1] === 'TYPE' ? 'type' : 'unit'] = m[3]!;
    out.set(m[2]!, family);
  }
  return out;
}

describe('renderPrometheus', () => {
  it('names each metric as Prometheus names it when received over OTLP: unit words, _total, _ratio', async () => {
    const reader = new DrivenMetricReader();
    const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
    const meter = provider.getMeter(SELF_SCOPE_NAME);
    meter.createCounter('probe.deliveries', { unit: '{delivery}' }).add(2, { 'http.response.status_code': 200 });
    meter.createHistogram('probe.export.duration', { unit: 's' }).record(0.02);
    meter.createObservableGauge('probe.journal.size', { unit: 'By' }).addCallback((r) => r.observe(4096));
    meter.createObservableGauge('probe.journal.fill', { unit: '1' }).addCallback((r) => r.observe(0.25));
    meter.createUpDownCounter('probe.inflight', { unit: 'By' }).add(10);
    meter.createCounter('probe.received', { unit: 'By' }).add(100);
    meter.createCounter('probe.requests_total').add(1);
    meter.createObservableGauge('probe.rate', { unit: 'By/s' }).addCallback((r) => r.observe(1));
    // Another scope's metrics (the Mist-derived ones) are not served here.
    provider.getMeter('mist-otel-bridge').createCounter('mist.other').add(1);

    const text = await renderPrometheus(reader);
    expect(Object.fromEntries(families(text))).toEqual({
      target_info: { type: 'gauge' },
      probe_deliveries_total: { type: 'counter' },
      probe_export_duration_seconds: { type: 'histogram', unit: 'seconds' },
      probe_journal_size_bytes: { type: 'gauge', unit: 'bytes' },
      probe_journal_fill_ratio: { type: 'gauge' },
      probe_inflight_bytes: { type: 'gauge', unit: 'bytes' },
      probe_received_bytes_total: { type: 'counter', unit: 'bytes' },
      probe_requests_total: { type: 'counter' },
      probe_rate_bytes_per_second: { type: 'gauge', unit: 'bytes_per_second' },
    });
    expect(text).toMatch(/^probe_deliveries_total\{http_response_status_code="200",otel_scope_name="mist-otel-bridge\.self"\} 2$/m);
    expect(text).toMatch(/^probe_export_duration_seconds_count\{otel_scope_name="mist-otel-bridge\.self"\} 1$/m);
    expect(text).toMatch(/^probe_journal_size_bytes\{otel_scope_name="mist-otel-bridge\.self"\} 4096$/m);
    expect(text).not.toContain('mist_other');
  });
});
