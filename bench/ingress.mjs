// `node bench/ingress.mjs` (npm run build first): the CPU cost of the HTTP ingress alone, per
// delivery. The built ingress app (Hono on @hono/node-server: admission, body limit, signature
// check, decode) runs in a child process with a sink that accepts at once, and autocannon sends
// it the same signed single-event delivery on 16 keep-alive connections; the child's CPU time
// (user+system) over the measured requests, divided by their number, is printed per round. Run it
// on two checkouts to compare a change to the ingress; the full `npm run bench` measures the rest.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { sign } from '../mist-payloads/sign.mjs';

const SECRET = 'bench-secret';

if (process.argv[2] === 'serve') {
  const { serve } = await import('@hono/node-server');
  const { createWebhookApp } = await import('../dist/src/sources/webhook/app.js');
  const { createLogger } = await import('../dist/src/log/logger.js');
  const app = createWebhookApp({
    path: '/mist/webhook',
    maxBodyBytes: 10 * 1024 * 1024,
    signature: { secrets: [SECRET], allowSha1: false, allowUnsigned: false },
    next: { refusal: () => undefined, consume: async (batch) => ({ status: 'accepted', events: batch.events.length, duplicates: 0, failedEvents: 0 }) },
    log: createLogger('error'),
    taking: () => true,
    observer: { delivery() {}, signatureFailure() {}, events() {} },
    maxInflightBodyBytes: 256 * 1024 * 1024,
  });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => process.send({ type: 'ready', port: info.port }));
  server.keepAliveTimeout = 30_000;
  let t0;
  process.on('message', (m) => {
    if (m === 'start') {
      t0 = process.cpuUsage();
      process.send({ type: 'started' });
    } else if (m === 'stop') {
      const t = process.cpuUsage(t0);
      process.send({ type: 'cpu', us: t.user + t.system });
    }
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const ROUNDS = Number(process.env.ROUNDS ?? 3);
  const AMOUNT = Number(process.env.AMOUNT ?? 40_000);
  const body = JSON.stringify({
    topic: 'alarms',
    events: [{ id: 'a-1', org_id: 'o', site_id: 's', type: 'device_down', timestamp: 1700000000, text: 'x'.repeat(300) }],
  });
  const signature = sign(body, SECRET);
  for (let round = 0; round < ROUNDS; round++) {
    const child = fork(fileURLToPath(import.meta.url), ['serve']);
    const next = (type) =>
      new Promise((resolve) => {
        const on = (m) => {
          if (m.type !== type) return;
          child.off('message', on);
          resolve(m);
        };
        child.on('message', on);
      });
    const { port } = await next('ready');
    const run = (amount) =>
      new Promise((resolve, reject) =>
        autocannon(
          {
            url: `http://127.0.0.1:${port}/mist/webhook`,
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', 'x-mist-signature-v2': signature },
            connections: 16,
            amount,
          },
          (err, result) => (err ? reject(err) : resolve(result)),
        ),
      );
    await run(5000); // warm-up
    child.send('start');
    await next('started');
    const result = await run(AMOUNT);
    child.send('stop');
    const { us } = await next('cpu');
    child.disconnect();
    if (result.non2xx > 0) throw new Error(`${result.non2xx} deliveries were not accepted`);
    console.log(`round ${round + 1}: ${(us / AMOUNT).toFixed(1)} µs CPU per delivery (${AMOUNT} deliveries)`);
  }
}
