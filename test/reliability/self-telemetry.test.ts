import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from '../../src/bridge.js';
import { loadConfig } from '../../src/config/load.js';
import { type OtlpMetricShape, prometheusLabelName, prometheusSeriesNames } from '../../src/export/prometheus-names.js';
import { createLogger } from '../../src/log/logger.js';
import { startTestBridge } from '../support/bridge-harness.js';
import { postDelivery } from '../support/mist-client.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { removeTempDirs, tempDataDir } from './helpers.js';
import { metricSamples, servedSamples } from './metric-samples.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  // The exporters' own retries end at this timeout, so failures reach the bridge's queue quickly.
  process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '500';
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
  await receiver.close();
  removeTempDirs();
});

describe('self-telemetry', () => {
  it('is served at GET /metrics in Prometheus text format and exported over OTLP under its own scope', async () => {
    const bridge = await startTestBridge(receiver, {
      env: { MIST_WEBHOOK_SECRET: 'k' },
      overrides: { server: { host: '127.0.0.1', port: 0 }, durability: { dir: tempDataDir() } },
    });
    try {
      const ok = { topic: 'self-a', events: [{ n: 1 }, { n: 2 }] };
      expect((await postDelivery(bridge.webhook, ok, { secret: 'k' })).status).toBe(200);
      expect((await postDelivery(bridge.webhook, ok, { secret: 'k' })).json).toMatchObject({ duplicates: 2 });
      expect((await postDelivery(bridge.webhook, { topic: 'self-b', events: [{ n: 3 }] }, { secret: 'k' })).status).toBe(200);
      expect((await postDelivery(bridge.webhook, ok, { secret: 'wrong' })).status).toBe(401);
      expect((await postDelivery(bridge.webhook, ok)).status).toBe(401);
      expect((await postDelivery(bridge.webhook, '{"topic":', { secret: 'k' })).status).toBe(400);
      await receiver.waitFor(() => receiver.logs.length === 3);

      const res = await fetch(bridge.address.url + '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toContain('# TYPE mist_bridge_deliveries_total counter');
      const s = metricSamples(text);
      expect(s.get('mist_bridge_deliveries_total{http_response_status_code="200"}')).toBe(3);
      expect(s.get('mist_bridge_deliveries_total{http_response_status_code="401"}')).toBe(2);
      expect(s.get('mist_bridge_deliveries_total{http_response_status_code="400"}')).toBe(1);
      expect(s.get('mist_bridge_signature_failures_total{reason="invalid"}')).toBe(1);
      expect(s.get('mist_bridge_signature_failures_total{reason="missing"}')).toBe(1);
      expect(s.get('mist_bridge_events_total{topic="self-a"}')).toBe(2);
      expect(s.get('mist_bridge_events_total{topic="self-b"}')).toBe(1);
      expect(s.get('mist_bridge_events_duplicates_total{topic="self-a"}')).toBe(2);
      expect(s.get('mist_bridge_export_records_total{signal="logs"}')).toBe(3);
      expect(s.get('mist_bridge_export_duration_seconds_count{signal="logs"}')).toBeGreaterThan(0);
      expect(s.get('mist_bridge_export_queued{signal="logs"}')).toBe(0);
      expect(s.has('mist_bridge_journal_deliveries{}')).toBe(true);
      expect(s.has('mist_bridge_journal_size_bytes{}')).toBe(true);
      expect(s.get('mist_bridge_journal_limit_bytes{}')).toBe(1073741824);
      expect(s.get('mist_bridge_subject_series_per_metric_limit{}')).toBe(10_000);
      expect(text).toContain('# TYPE mist_bridge_export_duration_seconds histogram');
      expect(s.get('mist_bridge_journal_writable{}')).toBe(1);
      expect(s.get('mist_bridge_journal_write_errors_total{operation="append"}')).toBe(0);
      expect(s.get('mist_bridge_journal_salvaged_total{outcome="unreadable"}')).toBe(0);
      expect(s.get('mist_bridge_journal_thread_restarts_total{thread="checkpointer"}')).toBe(0);
      // Only the bridge's own figures: the Mist-derived metrics go to the backend.
      expect([...s.keys()].every((k) => k.startsWith('mist_bridge_') || k.startsWith('target_info'))).toBe(true);

      // The same instruments reach the OTLP backend under scope mist-otel-bridge.self.
      // (A collection taken before the first log export carries no export figures: wait for one that does.)
      await receiver.waitFor(
        () =>
          receiver.points.some((p) => p.name === 'mist.bridge.deliveries' && p.attributes['http.response.status_code'] === 401 && p.value === 2) &&
          receiver.points.some((p) => p.name === 'mist.bridge.export.records'),
      );
      const own = receiver.points.filter((p) => p.name.startsWith('mist.bridge.'));
      expect(new Set(own.map((p) => p.scope.name))).toEqual(new Set(['mist-otel-bridge.self']));
      expect(new Set(own.map((p) => p.name))).toEqual(
        new Set([
          'mist.bridge.deliveries',
          'mist.bridge.signature.failures',
          'mist.bridge.events',
          'mist.bridge.events.duplicates',
          'mist.bridge.export.records',
          'mist.bridge.export.duration',
          'mist.bridge.journal.deliveries',
          'mist.bridge.journal.size',
          'mist.bridge.journal.limit',
          'mist.bridge.journal.write.errors',
          'mist.bridge.journal.writable',
          'mist.bridge.journal.salvaged',
          'mist.bridge.journal.thread.restarts',
          'mist.bridge.export.queued',
          'mist.bridge.export.failing',
          'mist.bridge.dedup.entries',
          'mist.bridge.subject.series',
          'mist.bridge.subject.clients',
          'mist.bridge.subject.series.per_metric.max',
          'mist.bridge.subject.series.per_metric.limit',
        ]),
      );

      // /metrics names every instrument as Prometheus names its OTLP copy (name, unit and type as
      // received), so one dashboard works against either.
      // An instrument first moved between two exports is on /metrics before its OTLP copy
      // arrives: compared until the next export has brought it.
      const mismatch = async () => {
        const self = receiver.points.filter((p) => p.scope.name === 'mist-otel-bridge.self');
        const shapes = new Map<string, OtlpMetricShape>(self.map((p) => [p.name, { name: p.name, unit: p.unit, kind: p.kind, monotonic: p.monotonic }]));
        const served = [...(await servedSamples(bridge.address.url)).keys()].filter((k) => !k.startsWith('target_info'));
        const servedNames = new Set(served.map((k) => k.slice(0, k.indexOf('{'))));
        const expectedNames = new Set([...shapes.values()].flatMap(prometheusSeriesNames));
        const servedLabels = new Set(served.flatMap((k) => [...k.matchAll(/([a-z_]+)="/g)].map((m) => m[1]!)));
        const expectedLabels = new Set([...self.flatMap((p) => Object.keys(p.attributes).map(prometheusLabelName)), 'le']);
        const differ = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).concat([...b].filter((x) => !a.has(x)));
        return { names: differ(servedNames, expectedNames), labels: differ(servedLabels, expectedLabels), served: servedNames.size };
      };
      await expect.poll(mismatch, { timeout: 5000, interval: 100 }).toEqual({ names: [], labels: [], served: expect.any(Number) });
      expect((await mismatch()).served).toBeGreaterThanOrEqual(13);
    } finally {
      await bridge.stop();
    }
  });

  it('counts and logs export failures per signal while the backend refuses', async () => {
    const bridge = await startTestBridge(receiver, { overrides: { server: { host: '127.0.0.1', port: 0 }, durability: { dir: tempDataDir() } } });
    try {
      receiver.failWith(503);
      await postDelivery(bridge.webhook, { topic: 'self-fail', events: [{ n: 1 }] });
      const failures = async () => (await servedSamples(bridge.address.url)).get('mist_bridge_export_failures_total{signal="logs"}') ?? 0;
      const deadline = Date.now() + 10_000;
      while ((await failures()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await failures()).toBeGreaterThan(0);
      expect((await servedSamples(bridge.address.url)).get('mist_bridge_journal_deliveries{}')).toBe(1);
      receiver.failWith(null);
      await receiver.waitFor(() => receiver.logs.some((l) => l.attributes['mist.topic'] === 'self-fail'));
    } finally {
      receiver.failWith(null);
      await bridge.stop();
    }
  });

  it('drops, counts and logs only records the backend refuses for good (HTTP 400), and moves on', async () => {
    const lines: string[] = [];
    const config = loadConfig({
      env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: '500' },
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        export: { logsScheduleDelayMs: 10, retryInitialMs: 50, retryMaxMs: 200 },
        durability: { dir: null },
      },
    });
    const bridge = await startBridge(
      config,
      createLogger('error', (l) => lines.push(l)),
    );
    const webhook = bridge.address.url + config.server.path;
    try {
      receiver.failWith(400);
      await postDelivery(webhook, { topic: 'self-drop', events: [{ n: 1 }] });
      const dropped = async () => (await servedSamples(bridge.address.url)).get('mist_bridge_dropped_total{reason="rejected_by_backend",what="logs"}') ?? 0;
      const deadline = Date.now() + 10_000;
      while ((await dropped()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await dropped()).toBe(1);
      expect(lines.some((l) => l.includes('record dropped: the backend refused it as malformed on its own'))).toBe(true);
      receiver.failWith(null);
      await postDelivery(webhook, { topic: 'self-drop', events: [{ n: 2 }] });
      await receiver.waitFor(() => receiver.logs.some((l) => l.attributes['mist.topic'] === 'self-drop'));
      expect(receiver.logs.filter((l) => l.attributes['mist.topic'] === 'self-drop').map((l) => l.attributes['mist.n'])).toEqual([2]);
    } finally {
      receiver.failWith(null);
      await bridge.stop();
    }
  });
});
