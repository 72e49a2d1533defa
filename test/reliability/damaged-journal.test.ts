import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { damageWalFrame, middlePageOf, overwriteHeader, overwritePage, truncateToHalf } from '../support/journal-damage.js';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { runCli } from '../support/run-cli.js';
import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';
import { useReceiver } from '../support/use-receiver.js';
import { journaledBridgeEnv, receivedNumbers, removeTempDirs, tempDataDir } from './helpers.js';
import { servedSamples } from './metric-samples.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

const SECRET = 'damage-secret';
const OLD = 60;
const NEW = 20;

const bridges: SpawnedBridge[] = [];
afterEach(async () => {
  for (const b of bridges.splice(0)) {
    if (b.child.exitCode === null && b.child.signalCode === null) {
      b.child.kill('SIGKILL');
      await b.exit();
    }
  }
  removeTempDirs();
});

async function start(dataDir: string, args: string[] = []): Promise<SpawnedBridge> {
  const bridge = await spawnBridge(journaledBridgeEnv(receiver, dataDir, SECRET), args);
  bridges.push(bridge);
  return bridge;
}

/** Delivery `k`: events 2k and 2k+1, about 10 KB, so its row spans overflow pages. */
const delivery = (topic: string, k: number) => numbered(topic, 2 * k, 2, { text: 'x'.repeat(5000) });

const post = (bridge: SpawnedBridge, topic: string, k: number) => postDelivery(bridge.url + '/mist/webhook', delivery(topic, k), { secret: SECRET });

/** Deliveries (by k) of which both events reached the receiver, each event once. */
function exportedDeliveries(topic: string): Set<number> {
  const counts = new Map<number, number>();
  for (const n of receivedNumbers(receiver, topic)) counts.set(n, (counts.get(n) ?? 0) + 1);
  for (const [n, c] of counts) expect(c, `event ${n} exported ${c} times`).toBe(1);
  const done = new Set<number>();
  for (const n of counts.keys()) if (n % 2 === 0 && counts.has(n + 1)) done.add(n / 2);
  return done;
}

/** A journal holding OLD acknowledged deliveries the backend never got, left by a clean stop. */
async function journalOfOldDeliveries(topic: string): Promise<string> {
  const dir = tempDataDir();
  // A short flush: with the backend down it would use all of it.
  const config = join(tempDataDir(), 'short-shutdown.yaml');
  writeFileSync(config, 'server:\n  shutdownTimeoutMs: 1000\n');
  receiver.failWith(503);
  const first = await start(dir, ['--config', config]);
  for (let k = 0; k < OLD; k++) expect((await post(first, topic, k)).status).toBe(200);
  first.child.kill('SIGTERM');
  expect((await first.exit()).code).toBe(0);
  receiver.failWith(null);
  return dir;
}

describe('a damaged journal file at start-up', () => {
  it.each([
    ['cut to half its size', (file: string) => truncateToHalf(file), 'some', 'open'],
    ['with a garbage header ("file is not a database")', (file: string) => overwriteHeader(file), 'none', 'open'],
    ['with a garbage page among its rows', (file: string) => overwritePage(file, middlePageOf(file, 'table-leaf')), 'some', 'open'],
    [
      'with a garbage overflow page, found only when its row is replayed',
      (file: string) => overwritePage(file, middlePageOf(file, 'linked-overflow')),
      'some',
      'read',
    ],
  ] as const)(
    '%s: the bridge keeps ingesting, exports what could be salvaged, counts what could not, and never acknowledges into a void',
    async (label, damage, lost, during) => {
      const topic = `damaged-${label.split(' ')[0]}-${label.length}`;
      const dir = await journalOfOldDeliveries(topic);
      const file = join(dir, 'journal.sqlite');
      damage(file);

      const bridge = await start(dir);
      expect((await fetch(bridge.url + '/readyz')).status).toBe(200);
      // New deliveries: each answered 200 must be exported. A sender told 503 tries again.
      const acked: number[] = [];
      for (let k = 1000; k < 1000 + NEW; k++) {
        for (let attempt = 0; ; attempt++) {
          const res = await post(bridge, topic, k);
          if (res.status === 200) {
            acked.push(k);
            break;
          }
          expect(res.status).toBe(503);
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(attempt).toBeLessThan(50);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(acked).toHaveLength(NEW);

      // Everything left in the journal is exported or given up on (counted) in the end.
      for (let tries = 0; ; tries++) {
        const m = await servedSamples(bridge.url);
        if (m.get('mist_bridge_journal_deliveries{}') === 0 && acked.every((k) => exportedDeliveries(topic).has(k))) break;
        expect(tries, 'the journal never drained').toBeLessThan(150);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));
      const exported = exportedDeliveries(topic);
      const m = await servedSamples(bridge.url);
      const oldExported = [...exported].filter((k) => k < OLD);
      const unreadable = m.get('mist_bridge_journal_salvaged_total{outcome="unreadable"}') ?? 0;
      const undecodable = m.get('mist_bridge_dropped_total{reason="undecodable_journal_row",what="delivery"}') ?? 0;
      // Every old delivery was exported, or counted as lost: none vanished silently.
      expect(oldExported.length + unreadable + undecodable).toBe(OLD);
      if (lost === 'none') expect(oldExported).toHaveLength(OLD);
      else expect(unreadable + undecodable).toBeGreaterThan(0);

      const moved = [...m.keys()].filter((k) => k.startsWith('mist_bridge_journal_moved_aside_total{'));
      expect(moved).toHaveLength(1);
      const aside = /file="([^"]+)"/.exec(moved[0]!)![1]!;
      expect(aside).toMatch(/journal\.sqlite\.damaged-\d{4}-/);
      expect(existsSync(aside)).toBe(true);
      expect(bridge.stderr()).toContain(`"moved_to":"${aside}","during":"${during}"`);
      expect(m.get('mist_bridge_journal_salvaged_total{outcome="salvaged"}')).toBe(OLD - unreadable);

      bridge.child.kill('SIGTERM');
      expect((await bridge.exit()).code).toBe(0);
      console.info(
        `${label}: ${oldExported.length} of ${OLD} journaled deliveries exported, ${unreadable} unreadable, ${undecodable} undecodable; ${acked.length} new deliveries acknowledged and exported`,
      );
    },
  );
});

describe('a write-ahead log damaged after SIGKILL', () => {
  it('loses no acknowledged delivery: the commits SQLite would silently discard are read back and exported', async () => {
    const topic = 'damaged-wal';
    const dir = tempDataDir();
    receiver.failWith(503);
    const first = await start(dir);
    // 16 senders of small deliveries until 600 are acknowledged, then the process is killed.
    const acked: number[] = [];
    let next = 0;
    let running = true;
    const sender = async () => {
      while (running) {
        const k = next++;
        try {
          const res = await postDelivery(first.url + '/mist/webhook', numbered(topic, 2 * k, 2), { secret: SECRET });
          if (res.status === 200) acked.push(k);
        } catch {
          // Cut off by the kill: not acknowledged.
        }
      }
    };
    const senders = Promise.all(Array.from({ length: 16 }, sender));
    while (acked.length < 600) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    await first.exit();
    running = false;
    await senders;
    const { frame, frames } = damageWalFrame(join(dir, 'journal.sqlite'));

    receiver.failWith(null);
    const second = await start(dir);
    await receiver.waitFor(() => {
      const got = exportedDeliveries(topic);
      return acked.every((k) => got.has(k));
    }, 20_000);
    const said = second
      .stderr()
      .split('\n')
      .find((l) => l.includes('"msg":"the journal write-ahead log was damaged'));
    expect(said).toContain(`"first_bad_frame":${frame}`);
    expect(said).toContain('"unreadable":0');
    second.child.kill('SIGTERM');
    expect((await second.exit()).code).toBe(0);
    console.info(`damaged WAL: frame ${frame} of ${frames} damaged after SIGKILL; all ${acked.length} acknowledged deliveries exported`);
  });
});

describe('mist-otel-bridge journal salvage FILE', () => {
  it("copies a damaged file's readable rows into the configured journal, reports the counts, and the next start exports them", async () => {
    const topic = 'salvage-cli';
    const damagedDir = await journalOfOldDeliveries(topic);
    const damaged = join(damagedDir, 'journal.sqlite');
    overwriteHeader(damaged);
    const target = tempDataDir();

    const run = (dataDir: string) => runCli(['journal', 'salvage', damaged], journaledBridgeEnv(receiver, dataDir, SECRET));

    // Not into the journal of a running bridge.
    const running = await start(target);
    const refused = await run(target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/locked by another running bridge \(stop the bridge before salvaging into its journal\)/);
    running.child.kill('SIGTERM');
    expect((await running.exit()).code).toBe(0);

    const done = await run(target);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`^salvaged ${OLD} rows from .*journal\\.sqlite into .*journal\\.sqlite \\(read from its raw pages\\)$`, 'm'));
    expect(done.stdout).toMatch(/^unreadable: 0 rows/m);

    const bridge = await start(target);
    await receiver.waitFor(() => exportedDeliveries(topic).size === OLD, 20_000);
    bridge.child.kill('SIGTERM');
    expect((await bridge.exit()).code).toBe(0);
  });
});
