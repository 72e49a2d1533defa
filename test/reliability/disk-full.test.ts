import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { runCli } from '../support/run-cli.js';
import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';
import { useReceiver } from '../support/use-receiver.js';
import { journaledBridgeEnv, receivedNumbers, removeTempDirs, tempDataDir } from './helpers.js';
import { servedSamples } from './metric-samples.js';
import { mountSmallDisk, type SmallDisk } from './small-disk.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

const SECRET = 'disk-secret';
const DISK_BYTES = 4 << 20;

const probe = mountSmallDisk(DISK_BYTES);
const cannotMount = 'cannot' in probe ? probe.cannot : undefined;
if ('unmount' in probe) probe.unmount();
if (cannotMount) console.warn(`disk-full tests skipped: ${cannotMount}`);

let bridge: SpawnedBridge | undefined;
let disk: SmallDisk | undefined;
afterEach(async () => {
  if (bridge && bridge.child.exitCode === null && bridge.child.signalCode === null) {
    bridge.child.kill('SIGKILL');
    await bridge.exit();
  }
  bridge = undefined;
  disk?.unmount();
  disk = undefined;
  removeTempDirs();
});

function smallDisk(): SmallDisk {
  const mounted = mountSmallDisk(DISK_BYTES);
  if ('cannot' in mounted) throw new Error(mounted.cannot);
  disk = mounted;
  return mounted;
}

/** Delivery `k`: events 2k and 2k+1, about 2 KiB, so a few MiB of disk fill up quickly. */
const delivery = (topic: string, k: number) => numbered(topic, 2 * k, 2, { text: 'x'.repeat(1000) });

async function post(url: string, topic: string, k: number) {
  return postDelivery(url + '/mist/webhook', delivery(topic, k), { secret: SECRET });
}

const linesMatching = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l));

describe.skipIf(cannotMount !== undefined)('a full disk under the journal', () => {
  it('never stops the bridge: 503 + Retry-After while full, everything acknowledged exported once space is freed', async () => {
    const small = smallDisk();
    const data = join(small.dir, 'data');
    const topic = 'disk-full';
    bridge = await spawnBridge(journaledBridgeEnv(receiver, data, SECRET));
    const url = bridge.url;
    // The backend away: acknowledged deliveries pile up in the journal until the disk is full.
    receiver.failWith(503);
    small.fill(1 << 20);
    const acked: number[] = [];
    let k = 0;
    let refused = 0;
    let retryAfter: string | null = null;
    while (refused < 20) {
      const res = await post(url, topic, k);
      if (res.status === 200) acked.push(k);
      else {
        expect(res.status).toBe(503);
        retryAfter = res.headers.get('retry-after');
        expect(res.json.message).toMatch(/the journal cannot be written: the disk is full \(SQLITE_FULL/);
        refused += 1;
      }
      k += 1;
      expect(k).toBeLessThan(5000);
    }
    expect(acked.length).toBeGreaterThan(20);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    // The backend back while the disk is still full: exports go on, the journal's deletes and
    // checkpoints fail (before: an uncaught exception from the release timer, the process gone).
    receiver.failWith(null);
    await receiver.waitFor(() => receivedNumbers(receiver, topic).length >= 2 * acked.length, 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(bridge.child.exitCode).toBeNull();
    const whileFull = await post(url, topic, k++);
    expect(whileFull.status).toBe(503);
    const full = await servedSamples(url);
    expect(full.get('mist_bridge_journal_writable{}')).toBe(0);
    expect(full.get('mist_bridge_journal_write_errors_total{operation="append"}')).toBeGreaterThan(0);
    expect(full.get('mist_bridge_journal_write_errors_total{operation="release"}')).toBeGreaterThan(0);
    expect((await fetch(url + '/readyz')).status).toBe(200);

    // Space comes back: no restart, deliveries are taken again and the journal drains.
    small.freeUp();
    const later: number[] = [];
    const deadline = Date.now() + 15_000;
    while (later.length < 50) {
      expect(Date.now()).toBeLessThan(deadline);
      const res = await post(url, topic, k);
      if (res.status === 200) later.push(k);
      else await new Promise((r) => setTimeout(r, 200));
      k += 1;
    }
    const all = [...acked, ...later];
    await receiver.waitFor(() => {
      const got = new Set(receivedNumbers(receiver, topic));
      return all.every((d) => got.has(2 * d) && got.has(2 * d + 1));
    }, 20_000);
    const recovered = () => servedSamples(url);
    for (let tries = 0; (await recovered()).get('mist_bridge_journal_deliveries{}') !== 0; tries++) {
      expect(tries).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await recovered()).get('mist_bridge_journal_writable{}')).toBe(1);

    bridge.child.kill('SIGTERM');
    expect((await bridge.exit()).code).toBe(0);
    const log = bridge.stderr();
    // Said once when it started failing and once when it recovered, not once per delivery.
    expect(linesMatching(log, /"msg":"the journal cannot be written: deliveries are answered 503/)).toHaveLength(1);
    expect(linesMatching(log, /"msg":"journal writes succeed again","operation":"append"/)).toHaveLength(1);
    expect(linesMatching(log, /"level":"error"/).length).toBeLessThan(10);
    console.info(
      `disk full: ${acked.length} acknowledged before the disk was full, ${refused} refused with 503, ${later.length} after it was freed; all ${all.length} exported`,
    );
  });

  it.each([
    ['a new data directory', false],
    ['a journal holding deliveries from the last run', true],
  ] as const)('at start-up on %s: says the disk is full, in one line, never "locked"; nothing journaled is lost', async (_label, earlier) => {
    const small = smallDisk();
    const data = join(small.dir, 'data');
    mkdirSync(data);
    const topic = 'disk-full-start';
    const acked: number[] = [];
    if (earlier) {
      receiver.failWith(503);
      // A short flush: with the backend down it would use all of it.
      const config = join(tempDataDir(), 'short-shutdown.yaml');
      writeFileSync(config, 'server:\n  shutdownTimeoutMs: 1000\n');
      bridge = await spawnBridge(journaledBridgeEnv(receiver, data, SECRET), ['--config', config]);
      for (let k = 0; k < 10; k++) {
        expect((await post(bridge.url, topic, k)).status).toBe(200);
        acked.push(k);
      }
      bridge.child.kill('SIGTERM');
      expect((await bridge.exit()).code).toBe(0);
      receiver.failWith(null);
    }
    small.fill();
    const { code, stderr } = await runCli([], journaledBridgeEnv(receiver, data, SECRET));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^mist-otel-bridge: cannot .* the journal .*: the disk is full \(.*SQLITE_[A-Z_]+: .*\)$/),
    ]);
    expect(stderr).not.toMatch(/locked/);

    small.freeUp();
    bridge = await spawnBridge(journaledBridgeEnv(receiver, data, SECRET));
    await receiver.waitFor(() => receivedNumbers(receiver, topic).length >= 2 * acked.length, 15_000);
    expect(receivedNumbers(receiver, topic).sort((a, b) => a - b)).toEqual(acked.flatMap((k) => [2 * k, 2 * k + 1]));
  });
});
