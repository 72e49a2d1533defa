import { afterEach, describe, expect, it } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { type Bridge, startBridge } from '../../src/bridge.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { useReceiver } from '../support/use-receiver.js';
import { keepPosting, range, receivedNumbers, removeTempDirs, tempDataDir } from './helpers.js';
import { servedSamples } from './metric-samples.js';

// The exporters' own retries stop at this timeout, so every failed attempt comes back to the
// bridge's queue: the faults below are the bridge's to handle, not the exporter's.
const EXPORT_TIMEOUT_MS = 1000;

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));
afterEach(() => removeTempDirs());

interface Run {
  bridge: Bridge;
  webhook: string;
  /** The bridge's own log lines, parsed. */
  lines: Array<Record<string, unknown> & { msg: string; level: string }>;
}

async function start(exportOverrides: Record<string, unknown> = {}): Promise<Run> {
  const config = loadConfig({
    env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: String(EXPORT_TIMEOUT_MS) },
    overrides: {
      server: { host: '127.0.0.1', port: 0 },
      export: { logsScheduleDelayMs: 20, spansScheduleDelayMs: 20, metricsIntervalMs: 200, retryInitialMs: 100, retryMaxMs: 1000, ...exportOverrides },
      durability: { dir: tempDataDir() },
    },
  });
  const lines: Run['lines'] = [];
  const bridge = await startBridge(
    config,
    createLogger('info', (l) => lines.push(JSON.parse(l) as Run['lines'][number])),
  );
  return { bridge, webhook: bridge.address.url + config.server.path, lines };
}

/** One series of /metrics, named with its labels sorted and without the scope's (`name{a="x",b="y"}`). */
async function metric(bridge: Bridge, series: string): Promise<number | undefined> {
  return (await servedSamples(bridge.address.url)).get(series);
}

const exportWarnings = (run: Run) => run.lines.filter((l) => /^export (failing|still failing)/.test(l.msg));

describe('a backend that refuses for a configuration fault, then recovers', () => {
  it('keeps everything through 10 s of HTTP 401, warns once per signal, and exports it all once the credentials work', async () => {
    const run = await start();
    try {
      receiver.failWith(401);
      const acked = await keepPosting(run.webhook, 'auth-fault', 10_000);
      expect(receivedNumbers(receiver, 'auth-fault')).toEqual([]);
      expect(await metric(run.bridge, 'mist_bridge_export_failing_seconds{signal="logs"}')).toBeGreaterThanOrEqual(5);
      receiver.failWith(null);
      await receiver.waitFor(() => receivedNumbers(receiver, 'auth-fault').length >= acked.length, 20_000);
      expect([...receivedNumbers(receiver, 'auth-fault')].sort((a, b) => a - b)).toEqual(acked);
      await receiver.waitFor(() => run.bridge.journal.count === 0, 5000);

      // One line when each signal starts failing (nothing more within the minute), one when it recovers.
      const warnings = exportWarnings(run);
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings.length).toBeLessThanOrEqual(3);
      expect(warnings.every((w) => w.msg.startsWith('export failing') && w.error === 'HTTP 401 Unauthorized')).toBe(true);
      expect(warnings.find((w) => w.signal === 'logs')?.hint).toMatch(/OTEL_EXPORTER_OTLP_HEADERS/);
      expect(run.lines.some((l) => l.msg === 'export recovered' && l.signal === 'logs')).toBe(true);
      expect(run.lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(await metric(run.bridge, 'mist_bridge_export_failing_seconds{signal="logs"}')).toBe(0);
    } finally {
      await run.bridge.stop();
    }
  });

  it('keeps everything through HTTP 404 (a wrong path) and names the endpoint as the likely cause', async () => {
    const run = await start();
    try {
      receiver.failWith(404);
      const acked = await keepPosting(run.webhook, 'path-fault', 2000);
      receiver.failWith(null);
      await receiver.waitFor(() => receivedNumbers(receiver, 'path-fault').length >= acked.length, 20_000);
      expect([...receivedNumbers(receiver, 'path-fault')].sort((a, b) => a - b)).toEqual(acked);
      expect(exportWarnings(run).find((w) => w.signal === 'logs')?.hint).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    } finally {
      await run.bridge.stop();
    }
  });
});

describe('a backend that answers 500 while records pile up', () => {
  it('waits out its backoff however many records are queued', async () => {
    const run = await start({ maxBatchSize: 25, retryInitialMs: 400, retryMaxMs: 2000 });
    try {
      receiver.failWith(500);
      const started = Date.now();
      // 2,000 records, far past the batch size that used to cut the backoff short.
      for (let n = 0; n < 2000; n += 50) expect((await postDelivery(run.webhook, numbered('backoff', n, 50))).status).toBe(200);
      await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - started))));
      const attempts = receiver.requests.filter((r) => r.signal === 'logs' && r.status === 500).length;
      // Backoff from 400 ms, doubling, with jitter: a handful of attempts in 3 s, not one per add.
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(8);
      receiver.failWith(null);
      await receiver.waitFor(() => receivedNumbers(receiver, 'backoff').length >= 2000, 20_000);
      expect(new Set(receivedNumbers(receiver, 'backoff')).size).toBe(2000);
    } finally {
      await run.bridge.stop();
    }
  });
});

describe('records the backend refuses as malformed', () => {
  it.each([400, 413])('isolates a record refused with %i on its own, drops and counts only it, and moves on', async (status) => {
    const run = await start();
    try {
      receiver.failWith(status, {}, ['logs']);
      expect((await postDelivery(run.webhook, numbered('refused', 0, 4))).status).toBe(200);
      const series = 'mist_bridge_dropped_total{reason="rejected_by_backend",what="logs"}';
      await receiver.waitFor(() => run.lines.filter((l) => l.msg.startsWith('record dropped')).length === 4, 10_000);
      expect(await metric(run.bridge, series)).toBe(4);
      receiver.failWith(null);
      expect((await postDelivery(run.webhook, numbered('refused', 4, 1))).status).toBe(200);
      await receiver.waitFor(() => receivedNumbers(receiver, 'refused').length === 1);
      expect(receivedNumbers(receiver, 'refused')).toEqual([4]);
    } finally {
      await run.bridge.stop();
    }
  });

  it('drops a metric collection the backend refuses as malformed, so the journal keeps draining', async () => {
    const run = await start();
    try {
      receiver.failWith(400, {}, ['metrics']);
      const acked = await keepPosting(run.webhook, 'metrics-refused', 2000);
      await receiver.waitFor(() => receivedNumbers(receiver, 'metrics-refused').length >= acked.length, 10_000);
      // Logs are exported and metrics given up on: nothing holds the journal.
      await receiver.waitFor(() => run.bridge.journal.count === 0, 5000);
      expect(await metric(run.bridge, 'mist_bridge_dropped_total{reason="rejected_by_backend",what="metrics"}')).toBeGreaterThan(0);
      expect(run.lines.some((l) => l.msg === 'metric points dropped: the backend refused a request of them as malformed')).toBe(true);
      // Cumulative sums carry the dropped collections' counts into the first one the backend takes.
      receiver.failWith(null);
      await receiver.waitFor(
        () => receiver.points.some((p) => p.name === 'mist.events' && p.attributes['mist.topic'] === 'metrics-refused' && p.value === acked.length),
        10_000,
      );
    } finally {
      await run.bridge.stop();
    }
  });
});

describe('a backend slower than the export timeout', () => {
  it('makes progress (the retry waits twice as long, and later requests as long as the backend took), with every duplicate counted', async () => {
    // Answers after 1.5 s, against an export timeout of 1 s.
    receiver.slowDown(1500);
    const run = await start({ maxBatchSize: 50, retryInitialMs: 100, retryMaxMs: 500 });
    try {
      const acked: number[] = [];
      for (let n = 0; n < 300; n += 5) {
        expect((await postDelivery(run.webhook, numbered('slow-backend', n, 5))).status).toBe(200);
        acked.push(...range(n, 5));
      }
      await receiver.waitFor(() => new Set(receivedNumbers(receiver, 'slow-backend')).size >= acked.length, 30_000);
      const got = receivedNumbers(receiver, 'slow-backend');
      expect([...new Set(got)].sort((a, b) => a - b)).toEqual(acked);
      // At least once: what arrived twice came from requests that timed out, each counted.
      const duplicates = got.length - acked.length;
      const timedOut = (await metric(run.bridge, 'mist_bridge_export_timeouts_total{signal="logs"}')) ?? 0;
      expect(timedOut).toBeGreaterThan(0);
      expect(duplicates).toBeLessThanOrEqual(timedOut);
      // Far fewer timed-out records than were sent: after the first, requests wait long enough.
      expect(timedOut).toBeLessThan(acked.length);
    } finally {
      receiver.slowDown(null);
      await run.bridge.stop();
    }
  });
});
