import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { startTestBridge } from '../support/bridge-harness.js';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { useReceiver } from '../support/use-receiver.js';
import { keepPosting, postAll, range, receivedNumbers, removeTempDirs, tempDataDir } from './helpers.js';

// The exporters' own retries stop at this timeout, so a failed export comes back to the bridge's
// queue (which retries with its short test backoff) instead of sleeping in the exporter.
const EXPORT_TIMEOUT_MS = 1000;

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));
beforeAll(() => {
  process.env.OTEL_EXPORTER_OTLP_TIMEOUT = String(EXPORT_TIMEOUT_MS);
});
afterAll(() => {
  delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
});
afterEach(async () => {
  // A test may end with the receiver stopped; the next one needs it listening.
  await receiver.restart().catch(() => undefined);
  removeTempDirs();
});

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('a backend outage while webhooks keep arriving', () => {
  // Short outages of both kinds with a tiny memory budget; the full minute is below.
  it.each([
    ['connection refused', 'refused'],
    ['HTTP 503', '503'],
  ] as const)('loses nothing (%s), and exports in order once the backend is back', async (_label, mode) => {
    const topic = `outage-${mode}`;
    const bridge = await startTestBridge(receiver, {
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        // A small in-memory budget so the outage also exercises the spill to the journal.
        durability: { dir: tempDataDir(), maxQueuedRecords: 40 },
        export: { logsScheduleDelayMs: 20, spansScheduleDelayMs: 20, metricsIntervalMs: 200, retryInitialMs: 50, retryMaxMs: 300, maxBatchSize: 25 },
      },
    });
    try {
      if (mode === 'refused') await receiver.stop();
      else receiver.failWith(503);
      const acked = await keepPosting(bridge.webhook, topic, 3000, 20);
      expect(receivedNumbers(receiver, topic)).toEqual([]);
      expect(bridge.journal.count).toBeGreaterThan(0);
      expect(bridge.durability.spilled).toBe(true);

      if (mode === 'refused') await receiver.restart();
      else receiver.failWith(null);
      await receiver.waitFor(() => receivedNumbers(receiver, topic).length >= acked.length, 20_000);
      const got = receivedNumbers(receiver, topic);
      expect(sorted(got)).toEqual(acked);
      expect(got).toEqual(acked); // in order, too
      // Released from the journal once exported (metrics included).
      await receiver.waitFor(() => bridge.journal.count === 0, 5000);
    } finally {
      await bridge.stop();
    }
  });

  it("loses nothing through a full minute of connection refused (the issue's figure)", async () => {
    const topic = 'outage-minute';
    const bridge = await startTestBridge(receiver, {
      overrides: {
        server: { host: '127.0.0.1', port: 0 },
        durability: { dir: tempDataDir(), maxQueuedRecords: 500 },
        // The production backoff shape (doubling to a cap), with a cap that keeps CI short.
        export: { logsScheduleDelayMs: 200, spansScheduleDelayMs: 200, metricsIntervalMs: 1000, retryInitialMs: 500, retryMaxMs: 5000 },
      },
    });
    try {
      await receiver.stop();
      const acked = await keepPosting(bridge.webhook, topic, 60_000);
      expect(receivedNumbers(receiver, topic)).toEqual([]);
      await receiver.restart();
      await receiver.waitFor(() => receivedNumbers(receiver, topic).length >= acked.length, 60_000);
      const got = receivedNumbers(receiver, topic);
      expect(got).toEqual(acked);
      await receiver.waitFor(() => bridge.journal.count === 0, 10_000);
    } finally {
      await bridge.stop();
    }
  }, 180_000);

  it('keeps what was not exported at shutdown and exports it from the next start, without duplicates', async () => {
    const dir = tempDataDir();
    const topic = 'outage-restart';
    const overrides = {
      server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 300 },
      durability: { dir },
    };
    const first = await startTestBridge(receiver, { overrides });
    // Some arrive before the outage: exported once, never again.
    expect((await postDelivery(first.webhook, numbered(topic, 0, 10))).status).toBe(200);
    await receiver.waitFor(() => receivedNumbers(receiver, topic).length === 10);
    await receiver.waitFor(() => first.journal.count === 0);
    await receiver.stop();
    for (let n = 10; n < 100; n += 10) expect((await postDelivery(first.webhook, numbered(topic, n, 10))).status).toBe(200);
    expect(await first.stop()).toBe(true); // nothing lost: kept in the journal
    // An export request of the stopped bridge may still be in flight (a process would have
    // exited); let it time out so it cannot reach the restarted receiver and count twice.
    await new Promise((r) => setTimeout(r, EXPORT_TIMEOUT_MS + 100));
    expect(receivedNumbers(receiver, topic)).toHaveLength(10);

    await receiver.restart();
    const second = await startTestBridge(receiver, { overrides });
    try {
      await receiver.waitFor(() => receivedNumbers(receiver, topic).length >= 100, 15_000);
      await receiver.waitFor(() => second.journal.count === 0, 5000);
      expect(receivedNumbers(receiver, topic)).toEqual(range(0, 100));
    } finally {
      await second.stop();
    }
  });
});

describe('a full disk budget', () => {
  it('refuses new deliveries with 503 and Retry-After, and takes them again once the journal drains', async () => {
    const topic = 'budget';
    const bridge = await startTestBridge(receiver, {
      overrides: { server: { host: '127.0.0.1', port: 0 }, durability: { dir: tempDataDir(), maxBytes: 4096 } },
    });
    try {
      await receiver.stop();
      const results = await postAll(
        bridge.webhook,
        range(0, 40).map((n) => numbered(topic, n, 1)),
        1,
      );
      const refused = results.filter((r) => r.status === 503);
      const acked = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
      expect(acked.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused[0]!.json).toMatchObject({ error: 'overloaded' });
      expect(bridge.journal.bytes).toBeLessThanOrEqual(4096);

      await receiver.restart();
      await receiver.waitFor(() => receivedNumbers(receiver, topic).length === acked.length, 15_000);
      expect(receivedNumbers(receiver, topic)).toEqual(acked);
      await receiver.waitFor(() => bridge.journal.count === 0, 5000);
      expect((await postDelivery(bridge.webhook, numbered(topic, 1000, 1))).status).toBe(200);
    } finally {
      await bridge.stop();
    }
  });
});
