/**
 * A stranger cannot turn the bridge's log into a flood: 10,000 unsigned requests with 15 KB of
 * X-Forwarded-For and a long User-Agent, to the real CLI in its own process, add a bounded
 * amount to stderr, say how many lines were suppressed, and the first lines still say who sent
 * what (cut short).
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';

const REQUESTS = 10_000;
const CONCURRENCY = 32;
// Node refuses request heads over 16 KiB (431, before the bridge sees them): stay just under.
const FORWARDED_FOR = Array.from({ length: 1100 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)
  .join(', ')
  .slice(0, 15_000);
const USER_AGENT = 'Mozilla/5.0 (flood) ' + 'A'.repeat(600);

let receiver: OtlpReceiver;
let bridge: SpawnedBridge;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  bridge = await spawnBridge({ MIST_WEBHOOK_SECRET: 'flood-secret', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
});
afterAll(async () => {
  bridge.child.kill('SIGTERM');
  await bridge.exit();
  await receiver.close();
});

/** POSTs an unsigned delivery `count` times, `concurrency` at a time; resolves with the status counts. */
async function flood(url: string, count: number, concurrency: number): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = new Map<number, number>();
  const body = JSON.stringify({ topic: 'alarms', events: [{ type: 'forged' }] });
  let sent = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        `${url}/mist/webhook`,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': FORWARDED_FOR, 'user-agent': USER_AGENT },
        },
        (res) => {
          statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1);
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (sent < count) {
      sent += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return statuses;
}

const entries = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('a flood of unsigned requests with huge headers', () => {
  it('adds less than 1 MiB to the log, reports what it suppressed, and keeps the first lines useful', { timeout: 90_000 }, async () => {
    const before = Buffer.byteLength(bridge.stderr());
    const statuses = await flood(bridge.url, REQUESTS, CONCURRENCY);
    expect(Object.fromEntries(statuses)).toEqual({ 401: REQUESTS });

    // Every refused request is either a line or in a suppression count, which comes when the
    // logger's interval ends.
    const accounted = () => {
      const all = entries(bridge.stderr());
      const lines = all.filter((e) => e.msg === 'delivery refused: signature').length;
      const suppressed = all
        .filter((e) => e.msg === 'log lines suppressed' && e.kind === 'delivery refused: signature')
        .reduce((n, e) => n + (e.suppressed as number), 0);
      return { lines, suppressed };
    };
    await expect.poll(() => accounted().lines + accounted().suppressed, { timeout: 15_000, interval: 250 }).toBe(REQUESTS);
    const { lines, suppressed } = accounted();
    expect(suppressed).toBeGreaterThan(REQUESTS * 0.9);
    expect(lines).toBeGreaterThan(0);

    const logged = Buffer.byteLength(bridge.stderr()) - before;
    expect(logged).toBeLessThan(1024 * 1024);
    process.stdout.write(`log flood: ${REQUESTS} unsigned requests → ${logged} bytes of log (${lines} lines, ${suppressed} suppressed)\n`);

    const first = entries(bridge.stderr()).find((e) => e.msg === 'delivery refused: signature')!;
    expect(first).toMatchObject({ level: 'warn', reason: 'missing', peer: '127.0.0.1' });
    expect(first.forwardedFor).toMatch(/^10\.0\.0\.0, 10\.0\.0\.1, 10\.0\.0\.2, .*…\(\+\d+ chars\)$/);
    expect(first.userAgent).toMatch(/^Mozilla\/5\.0 \(flood\) A+…\(\+\d+ chars\)$/);
    expect(JSON.stringify(first).length).toBeLessThan(1024);

    // The bridge is still serving.
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  });
});
