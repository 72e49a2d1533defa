import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { runCli } from '../support/run-cli.js';
import { listeningBridge, spawnBridge } from '../support/spawn-bridge.js';
import { useReceiver } from '../support/use-receiver.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

describe('the bridge process', () => {
  it('refuses to start without a secret and says how to fix it', async () => {
    const { code, stderr } = await runCli([], {});
    expect(code).toBe(1);
    expect(stderr).toMatch(/no webhook secret configured: set MIST_WEBHOOK_SECRET/);
    expect(stderr).toMatch(/MIST_BRIDGE_ALLOW_UNSIGNED=true/);
  });

  it('names the key of an invalid setting at start-up', async () => {
    const { code, stderr } = await runCli([], { MIST_WEBHOOK_SECRET: 'x', MIST_BRIDGE_PORT: 'http' });
    expect(code).toBe(1);
    expect(stderr).toContain('MIST_BRIDGE_PORT (server.port): expected an integer, got "http"');
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

describe('npm start', () => {
  it('builds and runs the compiled bridge; SIGTERM to npm stops it with exit 0 and the journal on disk', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
    try {
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? dir,
          MIST_WEBHOOK_SECRET: 'k',
          MIST_BRIDGE_HOST: '127.0.0.1',
          MIST_BRIDGE_PORT: '0',
          MIST_BRIDGE_DATA_DIR: dir,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // npm builds first.
      const bridge = await listeningBridge(npm, 60_000);
      const { url } = bridge;
      expect((await fetch(url + '/healthz')).status).toBe(200);
      expect((await postDelivery(url + '/mist/webhook', { topic: 'npm-start', events: [{ timestamp: 1700000000 }] }, { secret: 'k' })).status).toBe(200);
      npm.kill('SIGTERM');
      const { code } = await bridge.exit();
      expect(code).toBe(0);
      // The bridge itself is gone, not only npm: nothing answers on its port any more.
      await expect(fetch(url + '/healthz')).rejects.toThrow();
      expect(existsSync(join(dir, 'journal.sqlite'))).toBe(true);
      expect(bridge.stderr()).not.toMatch(/Assertion failed|Segmentation|core dumped/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
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
