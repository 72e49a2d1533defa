/**
 * The ingress app in-process, through `app.request()`: no socket, no Node request, a fetch
 * Request and an in-memory sink. The same middleware answers as when @hono/node-server serves
 * it (test/ingress and test/reliability cover that path).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sign as mistSign } from '../../../mist-payloads/sign.mjs';
import { createHttpApp } from '../../http/app.js';
import { createLogger } from '../../log/logger.js';
import type { Batch, BatchConsumer, Receipt, Refusal } from '../contract.js';
import { createWebhookApp, type WebhookAppOptions } from './app.js';

const PATH = '/mist/webhook';
const SECRET = 'in-process-secret';

/** The next stage, in memory: what it was handed (with the bytes as received), and a "full" it can be told to be. */
class MemoryConsumer implements BatchConsumer {
  readonly accepted: Array<{ batch: Batch; body: string }> = [];
  full: Refusal | undefined;

  refusal(): Refusal | undefined {
    return this.full;
  }

  async consume(batch: Batch): Promise<Receipt> {
    this.accepted.push({ batch, body: Buffer.from(batch.durable!.raw!).toString() });
    return { status: 'accepted', events: batch.events.length, duplicates: 0, failedEvents: 0 };
  }
}

function setup(overrides: Partial<WebhookAppOptions> = {}) {
  const sink = new MemoryConsumer();
  const lines: Array<Record<string, unknown>> = [];
  const statuses: number[] = [];
  const signatureFailures: string[] = [];
  let ready = true;
  const log = createLogger('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  const webhook = createWebhookApp({
    path: PATH,
    maxBodyBytes: 4096,
    signature: { secrets: [SECRET], allowSha1: false, allowUnsigned: false },
    next: sink,
    log,
    taking: () => true,
    observer: { delivery: (s) => statuses.push(s), signatureFailure: (r) => signatureFailures.push(r), events: () => {} },
    ...overrides,
  });
  const app = createHttpApp({
    readiness: () => ({ ready, detail: {} }),
    metricsText: async () => '',
    mounts: [webhook as never],
    log,
  });
  return { app, sink, lines, statuses, signatureFailures, setReady: (r: boolean) => (ready = r) };
}

const sign = (body: Uint8Array | string, secret = SECRET) => mistSign(body, secret);
const delivery = JSON.stringify({ topic: 'alarms', events: [{ id: 'a-1', type: 'device_down', timestamp: 1700000000 }] });

function post(app: ReturnType<typeof setup>['app'], body: string | Uint8Array, headers: Record<string, string> = {}) {
  return app.request(PATH, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('the webhook route in-process', () => {
  it('accepts a delivery signed with the secret and hands the next stage a batch of its events and the exact bytes', async () => {
    const { app, sink, statuses } = setup();
    const before = BigInt(Date.now()) * 1_000_000n;
    const res = await post(app, delivery, { 'x-mist-signature-v2': sign(delivery) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'accepted', topic: 'alarms', events: 1, duplicates: 0, failed_events: 0 });
    expect(sink.accepted).toHaveLength(1);
    const { batch } = sink.accepted[0]!;
    expect({ source: batch.source, kind: batch.kind, events: batch.events, codec: batch.durable?.codec }).toEqual({
      source: 'webhook',
      kind: 'alarms',
      events: [{ id: 'a-1', type: 'device_down', timestamp: 1700000000 }],
      codec: 'mist-envelope',
    });
    expect(sink.accepted[0]!.body).toBe(delivery);
    expect(batch.receivedNs).toBeGreaterThanOrEqual(before);
    expect(statuses).toEqual([200]);
  });

  it('refuses a wrong, missing or SHA-1-only signature with 401, hands the sink nothing, counts and logs it', async () => {
    const { app, sink, lines, statuses, signatureFailures } = setup();
    const forwardedFor = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', ');
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'x-mist-signature-v2': sign(delivery, 'guess') }, 'signature_invalid'],
      [{}, 'signature_missing'],
      [{ 'x-mist-signature': mistSign(delivery, SECRET, 'sha1') }, 'signature_sha1_not_allowed'],
    ];
    for (const [headers, error] of cases) {
      const res = await post(app, delivery, { ...headers, 'x-forwarded-for': forwardedFor, 'user-agent': 'probe/1.0\tnext\u0085line' });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error, message: expect.any(String) });
    }
    expect(sink.accepted).toEqual([]);
    expect(statuses).toEqual([401, 401, 401]);
    expect(signatureFailures).toEqual(['invalid', 'missing', 'sha1_not_allowed']);
    const warnings = lines.filter((l) => l.msg === 'delivery refused: signature');
    expect(warnings.map((w) => w.reason)).toEqual(['invalid', 'missing', 'sha1_not_allowed']);
    // What the sender controls is cut short and kept on one line.
    expect(warnings[0]!.forwardedFor).toMatch(/^10\.0\.0\.0, 10\.0\.0\.1, .*…\(\+\d+ chars\)$/);
    expect((warnings[0]!.forwardedFor as string).length).toBeLessThan(200);
    expect(warnings[0]!.userAgent).toBe('probe/1.0 next line');
  });

  it('refuses a body past maxBodyBytes with 413, announced, streamed or once decompressed', async () => {
    const { app, sink } = setup();
    const big = JSON.stringify({ topic: 'alarms', events: [{ pad: 'x'.repeat(5000) }] });
    const announced = await post(app, big, { 'x-mist-signature-v2': sign(big) });
    expect(announced.status).toBe(413);
    expect(await announced.json()).toMatchObject({ error: 'body_too_large' });

    const chunks = [big.slice(0, 3000), big.slice(3000)].map((s) => new TextEncoder().encode(s));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await app.request(PATH, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);

    const bomb = gzipSync(Buffer.alloc(100_000, 0x20));
    const inflated = await post(app, bomb, { 'content-encoding': 'gzip', 'x-mist-signature-v2': sign(bomb) });
    expect(inflated.status).toBe(413);
    expect(await inflated.json()).toMatchObject({ error: 'body_too_large' });
    expect(sink.accepted).toEqual([]);
  });

  it('undoes gzip, accepting a signature over the bytes sent or over the decompressed bytes', async () => {
    const { app, sink } = setup();
    const zipped = gzipSync(delivery);
    for (const signature of [sign(zipped), sign(delivery)]) {
      const res = await post(app, zipped, { 'content-encoding': 'gzip', 'x-mist-signature-v2': signature });
      expect(res.status).toBe(200);
    }
    expect(sink.accepted.map((a) => a.body)).toEqual([delivery, delivery]);
    const notGzip = await post(app, delivery, { 'content-encoding': 'gzip', 'x-mist-signature-v2': sign(delivery) });
    expect(notGzip.status).toBe(400);
    expect(await notGzip.json()).toMatchObject({ error: 'bad_gzip' });
    const brotli = await post(app, delivery, { 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    expect(await brotli.json()).toMatchObject({ error: 'unsupported_encoding' });
  });

  it('answers a signed body that is not a delivery with 400 and its code, and logs it', async () => {
    const { app, sink, lines } = setup();
    for (const [body, error] of [
      ['{"topic":"alarms","events":[', 'invalid_json'],
      ['{"events":[]}', 'no_topic'],
      ['[1]', 'not_an_object'],
    ] as const) {
      const res = await post(app, body, { 'x-mist-signature-v2': sign(body) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error, message: expect.any(String) });
    }
    expect(sink.accepted).toEqual([]);
    expect(lines.filter((l) => l.msg === 'delivery refused: envelope').map((l) => l.error)).toEqual(['invalid_json', 'no_topic', 'not_an_object']);
  });

  it('refuses with 503 and Retry-After while the sink is full, before reading the body', async () => {
    const { app, sink } = setup();
    sink.full = { reason: 'the durable journal is full', retryAfterSeconds: 30 };
    const res = await post(app, delivery, { 'x-mist-signature-v2': sign(delivery) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toEqual({ error: 'overloaded', message: 'the durable journal is full' });
    expect(sink.accepted).toEqual([]);
  });

  it('holds at most maxInflightBodyBytes of bodies, and gives them back once answered', async () => {
    const { app } = setup({ maxInflightBodyBytes: delivery.length + 10 });
    for (let i = 0; i < 3; i++) {
      expect((await post(app, delivery, { 'x-mist-signature-v2': sign(delivery) })).status).toBe(200);
    }
    const twice = delivery + ' '.repeat(delivery.length);
    const busy = await post(app, twice, { 'x-mist-signature-v2': sign(twice) });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toMatchObject({ error: 'server_busy' });
    expect((await post(app, delivery, { 'x-mist-signature-v2': sign(delivery) })).status).toBe(200);
  });

  it('answers other methods with 405 and other paths with 404, as JSON', async () => {
    const { app } = setup();
    const get = await app.request(PATH);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const elsewhere = await app.request('/nope', { method: 'POST', body: '{}' });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('probes in-process', () => {
  it('/healthz is always ok; /readyz follows readiness', async () => {
    const { app, setReady } = setup();
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.request('/readyz')).status).toBe(200);
    setReady(false);
    const notReady = await app.request('/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: 'not ready' });
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
  });
});
