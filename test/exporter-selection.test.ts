/**
 * OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER and OTEL_TRACES_EXPORTER through the real CLI: where
 * each signal goes, what the journal keeps meanwhile, what start-up says, what is counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { postDelivery } from './support/mist-client.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { runCli } from './support/run-cli.js';
import { type SpawnedBridge, spawnBridge } from './support/spawn-bridge.js';
import { useTempDirs } from './support/temp-dirs.js';
import { useReceiver } from './support/use-receiver.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

// Before the afterEach below, so the bridge stops before its directory goes.
const tempDir = useTempDirs('mist-exporters-');

let bridge: SpawnedBridge | undefined;
let stdout = '';
afterEach(async () => {
  bridge?.child.kill('SIGTERM');
  await bridge?.exit();
  bridge = undefined;
  stdout = '';
});

// One up/down event: a log record, and metric points (mist.device.up, mist.device.updowns).
const DELIVERY = {
  topic: 'device-updowns',
  events: [
    {
      org_id: '0b9c7f3e-1111-4a2b-9c3d-000000000001',
      site_id: '5d1e2f3a-2222-4b3c-8d4e-000000000010',
      site_name: 'HQ',
      ap: 'd420b0000001',
      ap_name: 'hq-ap-01',
      type: 'AP_DISCONNECTED',
      timestamp: 1763700000,
    },
  ],
};

async function start(env: Record<string, string>): Promise<SpawnedBridge> {
  const dataDir = tempDir();
  bridge = await spawnBridge({
    MIST_BRIDGE_ALLOW_UNSIGNED: 'true',
    MIST_BRIDGE_DATA_DIR: dataDir,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    OTEL_BLRP_SCHEDULE_DELAY: '20',
    ...env,
  });
  bridge.child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  return bridge;
}

/** A series' value in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z0-9_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function until(predicate: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${predicate.toString()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const selfMetrics = async (b: SpawnedBridge) => (await fetch(`${b.url}/metrics`)).text();

describe('OTEL_METRICS_EXPORTER=prometheus', () => {
  it('serves the Mist metrics for scraping by their Prometheus names, and keeps a delivery in the journal until a scrape has read it', async () => {
    const b = await start({ OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '0' });
    const scrapeUrl = /"msg":"OTEL_METRICS_EXPORTER=prometheus: metrics are served for scraping".*?"url":"([^"]+)"/.exec(b.stderr())?.[1];
    expect(scrapeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    expect((await postDelivery(b.url + '/mist/webhook', DELIVERY)).status).toBe(200);
    // The log record goes to the OTLP receiver; no metric does.
    await receiver.waitFor(() => receiver.logs.length === 1);
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.points).toEqual([]);
    // Its metric contribution has not been read: the delivery stays in the journal.
    expect(sample(await selfMetrics(b), 'mist_bridge_journal_deliveries')).toBe(1);

    const res = await fetch(scrapeUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const hq = { mist_site_id: '5d1e2f3a-2222-4b3c-8d4e-000000000010', mist_device_mac: 'd420b0000001' };
    expect(sample(text, 'mist_device_up', hq)).toBe(0);
    expect(sample(text, 'mist_device_updowns_total', { mist_site_id: hq.mist_site_id })).toBe(1);
    // The bridge's own figures too, as an OTLP backend would have them.
    expect(text).toMatch(/^# TYPE mist_bridge_export_duration_seconds histogram$/m);
    // Once read, the delivery is released.
    await until(async () => sample(await selfMetrics(b), 'mist_bridge_journal_deliveries') === 0);
    expect(sample(await selfMetrics(b), 'mist_bridge_export_records_total', { signal: 'metrics' })).toBeGreaterThan(0);
  });

  it('refuses a port the bridge itself listens on, naming both variables', () => {
    expect(() => loadConfig({ env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true', OTEL_METRICS_EXPORTER: 'prometheus', MIST_BRIDGE_PORT: '9464' } })).toThrow(
      /OTEL_EXPORTER_PROMETHEUS_PORT\) and server\.port \(MIST_BRIDGE_PORT\) are both 9464/,
    );
  });
});

describe('OTEL_*_EXPORTER=none', () => {
  it('drops every signal on purpose: said at start-up, counted, nothing sent, the journal released', async () => {
    const b = await start({ OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'NONE', OTEL_TRACES_EXPORTER: 'none' });
    for (const variable of ['OTEL_LOGS_EXPORTER', 'OTEL_METRICS_EXPORTER', 'OTEL_TRACES_EXPORTER']) {
      expect(b.stderr()).toMatch(new RegExp(`"level":"warn".*"msg":"${variable}=none: [a-z ]+ are dropped on purpose, never exported"`));
    }
    expect((await postDelivery(b.url + '/mist/webhook', DELIVERY)).status).toBe(200);
    await until(async () => {
      const text = await selfMetrics(b);
      return (
        (sample(text, 'mist_bridge_dropped_total', { what: 'logs', reason: 'exporter_none' }) ?? 0) >= 1 &&
        (sample(text, 'mist_bridge_dropped_total', { what: 'metrics', reason: 'exporter_none' }) ?? 0) >= 1
      );
    });
    // Released from the journal as if exported (the journal lets go of rows a moment later).
    await until(async () => sample(await selfMetrics(b), 'mist_bridge_journal_deliveries') === 0);
    expect(sample(await selfMetrics(b), 'mist_bridge_export_records_total', { signal: 'logs' })).toBeUndefined();
    expect(receiver.requests).toEqual([]);
  });
});

describe('OTEL_LOGS_EXPORTER=console', () => {
  it('writes log records to stdout and still exports metrics over OTLP', async () => {
    const b = await start({ OTEL_LOGS_EXPORTER: 'console' });
    expect((await postDelivery(b.url + '/mist/webhook', DELIVERY)).status).toBe(200);
    await until(() => stdout.includes('AP_DISCONNECTED'));
    await receiver.waitFor(() => receiver.points.some((p) => p.name === 'mist.device.up'));
    expect(receiver.logs).toEqual([]);
    expect(b.stderr()).toContain('OTEL_LOGS_EXPORTER=console: log records are written to stdout');
  });
});

describe('an exporter the bridge does not have', () => {
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig({ env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true', ...env } });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error('accepted');
  };

  it.each<[Record<string, string>, RegExp]>([
    [
      { OTEL_METRICS_EXPORTER: 'zipkin' },
      /^OTEL_METRICS_EXPORTER \(exporters\.metrics\): "zipkin" is not an exporter the bridge has; use otlp, prometheus, console or none$/,
    ],
    [{ OTEL_LOGS_EXPORTER: 'prometheus' }, /^OTEL_LOGS_EXPORTER \(exporters\.logs\): prometheus exports metrics only; for logs use otlp, console or none$/],
    [{ OTEL_TRACES_EXPORTER: 'otlp,console' }, /^OTEL_TRACES_EXPORTER \(exporters\.traces\): "otlp,console": one exporter per signal/],
    [{ OTEL_TRACES_EXPORTER: 'logging' }, /^OTEL_TRACES_EXPORTER \(exporters\.traces\): "logging" is the old name of console/],
    [{ OTEL_EXPORTER_PROMETHEUS_PORT: 'ninety' }, /^OTEL_EXPORTER_PROMETHEUS_PORT \(exporters\.prometheusPort\): expected an integer/],
  ])('%o is refused, naming the variable', (env, line) => {
    expect(refusal(env)).toEqual([expect.stringMatching(line)]);
  });

  it('stops the real CLI at start-up with one line and exit 1', async () => {
    const { code, stderr: err } = await runCli([], { MIST_BRIDGE_ALLOW_UNSIGNED: 'true', OTEL_METRICS_EXPORTER: 'jaeger' });
    expect(code).toBe(1);
    expect(err.trim()).toMatch(
      /^mist-otel-bridge: OTEL_METRICS_EXPORTER \(exporters\.metrics\): "jaeger" is not an exporter the bridge has; use otlp, prometheus, console or none$/,
    );
  });

  it('an empty variable is unset: the default, otlp', () => {
    expect(loadConfig({ env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true', OTEL_METRICS_EXPORTER: ' ', OTEL_LOGS_EXPORTER: '' } }).exporters).toMatchObject({
      metrics: 'otlp',
      logs: 'otlp',
      traces: 'otlp',
    });
  });
});
