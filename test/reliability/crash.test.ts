import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { spawnBridge } from '../support/spawn-bridge.js';
import { useReceiver } from '../support/use-receiver.js';
import { journaledBridgeEnv, receivedNumbers, removeTempDirs, tempDataDir } from './helpers.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));
afterEach(removeTempDirs);

const SECRET = 'crash-secret';

/**
 * Posts 2-event deliveries from `workers` concurrent senders until `stop()` is called; returns the
 * event numbers of every delivery that was answered 2xx.
 */
function load(url: string, topic: string, workers: number) {
  const acked: number[] = [];
  let next = 0;
  let running = true;
  const sender = async () => {
    while (running) {
      const n = next;
      next += 2;
      try {
        const res = await postDelivery(url, numbered(topic, n, 2), { secret: SECRET });
        if (res.status >= 200 && res.status < 300) acked.push(n, n + 1);
      } catch {
        // The connection died with the bridge: not acknowledged, so the sender would retry.
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, sender));
  return {
    acked,
    async stop() {
      running = false;
      await done;
    },
  };
}

describe('SIGKILL mid-load', () => {
  it.each([
    ['the backend down (nothing exported before the kill): exactly once', true],
    ['the backend up: at least once', false],
  ] as const)('every acknowledged delivery is exported after a restart on the same directory, with %s', async (_label, backendDown) => {
    const dir = tempDataDir();
    const topic = backendDown ? 'crash-down' : 'crash-up';
    if (backendDown) receiver.failWith(503);
    const first = await spawnBridge(journaledBridgeEnv(receiver, dir, SECRET));
    const sending = load(first.url + '/mist/webhook', topic, 16);
    while (sending.acked.length < 600) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    const { signal } = await first.exit();
    expect(signal).toBe('SIGKILL');
    await sending.stop();
    const acked = [...sending.acked].sort((a, b) => a - b);

    receiver.failWith(null);
    const second = await spawnBridge(journaledBridgeEnv(receiver, dir, SECRET));
    try {
      await receiver.waitFor(() => {
        const got = new Set(receivedNumbers(receiver, topic));
        return acked.every((n) => got.has(n));
      }, 20_000);
      const got = receivedNumbers(receiver, topic);
      if (backendDown) {
        // Only what was journaled is replayed; deliveries cut off before their 2xx may appear too.
        const gotAcked = got.filter((n) => acked.includes(n));
        expect(gotAcked.sort((a, b) => a - b)).toEqual(acked);
        expect(new Set(got).size).toBe(got.length);
      }
    } finally {
      second.child.kill('SIGTERM');
      expect((await second.exit()).code).toBe(0);
    }
  });
});

describe('SIGTERM with the backend down', () => {
  it('exits 0 keeping what was not exported, and the next start exports it once', async () => {
    const dir = tempDataDir();
    const topic = 'sigterm-down';
    receiver.failWith(503);
    // A short flush: with the backend down it would use all of it.
    const config = join(dir, 'short-shutdown.yaml');
    writeFileSync(config, 'server:\n  shutdownTimeoutMs: 1000\n');
    const first = await spawnBridge(journaledBridgeEnv(receiver, dir, SECRET), ['--config', config]);
    for (let n = 0; n < 20; n += 2) {
      expect((await postDelivery(first.url + '/mist/webhook', numbered(topic, n, 2), { secret: SECRET })).status).toBe(200);
    }
    first.child.kill('SIGTERM');
    expect((await first.exit()).code).toBe(0);
    // 'exit' can come before the last stderr bytes are read here.
    if (!first.child.stderr!.readableEnded) await new Promise((r) => first.child.stderr!.once('end', r));
    expect(first.stderr()).toMatch(/"msg":"deliveries not exported yet stay in the journal and are exported at the next start","deliveries":10/);

    receiver.failWith(null);
    const second = await spawnBridge(journaledBridgeEnv(receiver, dir, SECRET));
    try {
      await receiver.waitFor(() => receivedNumbers(receiver, topic).length >= 20, 15_000);
      expect(receivedNumbers(receiver, topic)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      second.child.kill('SIGTERM');
      expect((await second.exit()).code).toBe(0);
    }
  });
});
