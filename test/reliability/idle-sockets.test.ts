/**
 * Silent connections cannot shut deliveries out: with every one of server.maxConnections (2,048
 * by default) taken by a socket that never sends a byte, the real CLI closes them after
 * server.idleSocketTimeoutMs and a signed delivery gets through.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postDelivery } from '../support/mist-client.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';

const SECRET = 'idle-secret';
const MAX_CONNECTIONS = 2048; // config/default.yaml
// 2 s by default; a little more here, so that opening 2,048 sockets on a busy machine takes less
// than the limit and they really hold every slot at once.
const IDLE_MS = 3000;
const OPEN_AT_ONCE = 128;

let receiver: OtlpReceiver;
let bridge: SpawnedBridge;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  bridge = await spawnBridge({
    MIST_WEBHOOK_SECRET: SECRET,
    MIST_BRIDGE_IDLE_SOCKET_TIMEOUT_MS: String(IDLE_MS),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BLRP_SCHEDULE_DELAY: '20',
  });
});
afterAll(async () => {
  bridge.child.kill('SIGTERM');
  await bridge.exit();
  await receiver.close();
});

function openSilent(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe(`${MAX_CONNECTIONS} connections that never send a byte`, () => {
  it('are closed after server.idleSocketTimeoutMs, and a signed delivery is accepted within a couple of seconds', { timeout: 60_000 }, async () => {
    const port = Number(new URL(bridge.url).port);
    const sockets: Socket[] = [];
    try {
      const opening = Date.now();
      // In waves well under the listen backlog (511): connections completed while the server's
      // accept queue overflowed exist on this side only, and would leave its slots free.
      for (let open = 0; open < MAX_CONNECTIONS; open += OPEN_AT_ONCE) {
        const wave = Math.min(OPEN_AT_ONCE, MAX_CONNECTIONS - open);
        sockets.push(...(await Promise.all(Array.from({ length: wave }, () => openSilent(port)))));
      }
      for (const s of sockets) {
        s.on('error', () => undefined);
        s.resume(); // so that the server's close is seen here
      }
      const full = Date.now();

      // Mist retries a refused delivery; here every 100 ms, each attempt on a new connection.
      const delivery = { topic: 'idle-probe', events: [{ type: 'PROBE', timestamp: 1700000000 }] };
      let refusedAttempts = 0;
      let accepted: number | undefined;
      while (accepted === undefined && Date.now() - full < 15_000) {
        const res = await postDelivery(bridge.url + '/mist/webhook', delivery, { secret: SECRET, headers: { connection: 'close' } }).catch(() => undefined);
        if (res?.status === 200) accepted = Date.now() - full;
        else {
          refusedAttempts += 1;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      process.stdout.write(
        `idle sockets: ${MAX_CONNECTIONS} silent connections opened in ${full - opening} ms; a signed delivery accepted ${accepted} ms after (${refusedAttempts} attempts refused first; limit ${IDLE_MS} ms)\n`,
      );
      // The silent sockets did fill the server: the first attempts found no free connection.
      expect(refusedAttempts).toBeGreaterThan(0);
      expect(accepted).toBeDefined();
      expect(accepted!).toBeLessThan(IDLE_MS + 1000);
      await receiver.waitFor(() => receiver.logs.some((l) => l.attributes['mist.topic'] === 'idle-probe'));

      // And the silent sockets themselves were closed by the bridge.
      await expect.poll(() => sockets.filter((s) => !s.destroyed).length, { timeout: 5000 }).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});
