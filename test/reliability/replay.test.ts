import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge } from '../support/bridge-harness.js';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { useReceiver } from '../support/use-receiver.js';
import { removeTempDirs, tempDataDir } from './helpers.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));
beforeAll(() => {
  process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '500';
});
afterAll(() => {
  delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
  delete process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  removeTempDirs();
});

const SITE = 'replay-site';
const downs = (from: number, n: number) => ({
  topic: 'device-updowns',
  events: Array.from({ length: n }, (_, i) => ({
    type: 'AP_DISCONNECTED',
    mac: `5c5b3500${String(from + i).padStart(4, '0')}`,
    site_id: SITE,
    org_id: 'replay-org',
    timestamp: 1_717_574_400 + from + i,
  })),
});
const logsOfSite = () => receiver.logs.filter((l) => l.attributes['mist.site_id'] === SITE);
const updownsOfSite = () => receiver.points.filter((p) => p.name === 'mist.device.updowns' && p.attributes['mist.site_id'] === SITE);

describe('a delivery whose log records were exported but whose metrics were not', () => {
  it('replays only its metrics after a restart: no log record twice', async () => {
    const dir = tempDataDir();
    const overrides = { server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 600 }, durability: { dir } };
    // The first bridge's metrics go nowhere (nothing listens on port 9), its logs to the receiver.
    process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT = 'http://127.0.0.1:9/v1/metrics';
    const first = await startTestBridge(receiver, { overrides });
    expect((await postDelivery(first.webhook, downs(0, 5))).json).toMatchObject({ events: 5 });
    await receiver.waitFor(() => logsOfSite().length === 5);
    expect(await first.stop()).toBe(true);
    expect(updownsOfSite()).toEqual([]);

    delete process.env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
    const second = await startTestBridge(receiver, { overrides });
    try {
      await receiver.waitFor(() => updownsOfSite().reduce((max, p) => Math.max(max, p.value ?? 0), 0) === 5);
      await receiver.waitFor(() => second.journal.count === 0);
      expect(logsOfSite()).toHaveLength(5);
    } finally {
      await second.stop();
    }
  });
});
