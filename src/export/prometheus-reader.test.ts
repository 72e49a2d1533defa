import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { type AckSignal, BatchAck } from '../acks/ack.js';
import { createLogger } from '../log/logger.js';
import { DrivenMetricReader } from '../signals/providers.js';
import { ExportHealth } from './health.js';
import { PrometheusMetricsEndpoint } from './prometheus-reader.js';
import type { ExportTelemetry } from './records.js';

const log = createLogger('error', () => {});

function setup() {
  const reader = new DrivenMetricReader();
  const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
  const counter = provider.getMeter('mist-otel-bridge').createCounter('mist.probe.events', { unit: '{event}' });
  const exported: number[] = [];
  const telemetry: ExportTelemetry = { exported: (_s, n) => void exported.push(n), exportFailed: () => {}, exportTimedOut: () => {}, dropped: () => {} };
  let flushes = 0;
  const afterExports: boolean[] = [];
  return {
    counter,
    exported,
    flushes: () => flushes,
    afterExports: () => afterExports,
    start: () =>
      PrometheusMetricsEndpoint.start(
        { host: '127.0.0.1', port: 0 },
        reader,
        () => void flushes++,
        (d) => void afterExports.push(d),
        new ExportHealth(log),
        telemetry,
        log,
      ),
  };
}

/** A batch's Ack whose settled signals are listed. */
function ack() {
  const settled: AckSignal[] = [];
  const a = new BatchAck({ settled: (s) => void settled.push(s) });
  return { a, settled };
}

let endpoint: PrometheusMetricsEndpoint | undefined;
afterEach(async () => {
  await endpoint?.shutdown(Date.now() + 1000);
  endpoint = undefined;
});

describe('PrometheusMetricsEndpoint', () => {
  it('holds a contribution until a scrape has read it, then releases it', async () => {
    const t = setup();
    endpoint = await t.start();
    const { a, settled } = ack();
    t.counter.add(2, { 'mist.site_id': 's1' });
    endpoint.contributed(a);
    a.seal();
    expect(settled).toEqual(['logs', 'spans']);
    // No scraper: a stop gives up at its deadline and says so.
    expect(await endpoint.flush(Date.now() + 200)).toBe(false);

    const res = await fetch(endpoint.url);
    const text = await res.text();
    expect(text).toMatch(/^mist_probe_events_total\{mist_site_id="s1",otel_scope_name="mist-otel-bridge"\} 2$/m);
    expect(settled).toEqual(['logs', 'spans', 'metrics']);
    expect(t.flushes()).toBe(1);
    expect(t.afterExports()).toEqual([true]);
    expect(t.exported).toEqual([1]);
    expect(await endpoint.flush(Date.now() + 200)).toBe(true);
  });

  it('a stop waits for the next scrape, until its deadline', async () => {
    const t = setup();
    endpoint = await t.start();
    const { a, settled } = ack();
    endpoint.contributed(a);
    a.seal();
    const flushed = endpoint.flush(Date.now() + 5000);
    setTimeout(() => void fetch(endpoint!.url).then((r) => r.text()), 100);
    expect(await flushed).toBe(true);
    expect(settled).toContain('metrics');
  });

  it('answers only /metrics, and HEAD without collecting', async () => {
    const t = setup();
    endpoint = await t.start();
    const base = endpoint.url.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(endpoint.url, { method: 'POST' })).status).toBe(405);
    const head = await fetch(endpoint.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(t.flushes()).toBe(0);
  });

  it('refuses an address it cannot have, naming the variables', async () => {
    const t = setup();
    endpoint = await t.start();
    const port = Number(new URL(endpoint.url).port);
    await expect(
      PrometheusMetricsEndpoint.start(
        { host: '127.0.0.1', port },
        new DrivenMetricReader(),
        () => {},
        () => {},
        new ExportHealth(log),
        t as never,
        log,
      ),
    ).rejects.toThrow(
      /^OTEL_EXPORTER_PROMETHEUS_PORT, OTEL_EXPORTER_PROMETHEUS_HOST \(exporters\.prometheusPort, exporters\.prometheusHost\): cannot serve metrics for scraping on 127\.0\.0\.1:\d+: the port is already in use/,
    );
  });
});
