import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { postDelivery } from '../support/mist-client.js';
import { type OtlpReceiver } from '../support/otlp-receiver.js';
import { useReceiver } from '../support/use-receiver.js';
import { runBridgeProcess, spawnBridge } from '../support/spawn-bridge.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

describe('the bridge process', () => {
  it('refuses to start without a secret and says how to fix it', async () => {
    const child = runBridgeProcess({});
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(err).toMatch(/no webhook secret configured: set MIST_WEBHOOK_SECRET/);
    expect(err).toMatch(/MIST_BRIDGE_ALLOW_UNSIGNED=true/);
  });

  it('names the key of an invalid setting at start-up', async () => {
    const child = runBridgeProcess({ MIST_WEBHOOK_SECRET: 'x', MIST_BRIDGE_PORT: 'http' });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(err).toContain('MIST_BRIDGE_PORT (server.port): expected an integer, got "http"');
  });

  it('never logs the secret', async () => {
    const secret = 'very-secret-value-123';
    const bridge = await spawnBridge({ MIST_WEBHOOK_SECRET: secret, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, MIST_BRIDGE_LOG_LEVEL: 'debug' });
    await postDelivery(bridge.url + '/mist/webhook', { topic: 'x', events: [{}] }, { secret: 'wrong' });
    await postDelivery(bridge.url + '/mist/webhook', { topic: 'x', events: [{}] }, { secret });
    bridge.child.kill('SIGTERM');
    await bridge.exit();
    expect(bridge.stderr()).not.toContain(secret);
  });

  it('flushes everything accepted on SIGTERM and exits 0', async () => {
    // Delays far longer than the test: only the shutdown flush can deliver these in time.
    const bridge = await spawnBridge({
      MIST_WEBHOOK_SECRET: 'k',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BLRP_SCHEDULE_DELAY: '600000',
      OTEL_METRIC_EXPORT_INTERVAL: '600000',
    });
    const events = Array.from({ length: 40 }, (_, i) => ({ seq: i, timestamp: 1700000000 + i }));
    const res = await postDelivery(bridge.url + '/mist/webhook', { topic: 'shutdown-flush', events }, { secret: 'k' });
    expect(res.status).toBe(200);
    const started = Date.now();
    bridge.child.kill('SIGTERM');
    const { code } = await bridge.exit();
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const got = receiver.logs.filter((l) => l.attributes['mist.topic'] === 'shutdown-flush');
    expect(got.map((l) => l.attributes['mist.seq']).sort((a, b) => Number(a) - Number(b))).toEqual(events.map((e) => e.seq));
  });
});

describe('resource attributes', () => {
  it('are overridable by OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', async () => {
    const bridge = await spawnBridge({
      MIST_BRIDGE_ALLOW_UNSIGNED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'mist-lab',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=lab,source=mist-eu',
      OTEL_BLRP_SCHEDULE_DELAY: '10',
    });
    await postDelivery(bridge.url + '/mist/webhook', { topic: 'resource-check', events: [{ timestamp: 1700000000 }] });
    await receiver.waitFor(() => receiver.logs.some((l) => l.attributes['mist.topic'] === 'resource-check'));
    bridge.child.kill('SIGTERM');
    await bridge.exit();
    const log = receiver.logs.find((l) => l.attributes['mist.topic'] === 'resource-check')!;
    expect(log.resource).toMatchObject({ 'service.name': 'mist-lab', 'deployment.environment': 'lab', source: 'mist-eu' });
  });
});
