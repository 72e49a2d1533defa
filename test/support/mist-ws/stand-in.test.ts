/** The stand-in itself, driven by a bare `ws` client: it must speak Mist's protocol as documented. */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MistWsStandIn } from './stand-in.js';

const TOKEN = 'stand-in-token';
const CHANNEL = '/sites/4ac1dcf4-9d8b-7211-65c4-057819f0862b/stats/devices';

let standIn: MistWsStandIn;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await standIn?.close();
});

/** Resolves with the upgrade's HTTP status and Retry-After header when it is refused. */
function upgradeRefusal(url: string, headers: Record<string, string>): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    ws.on('open', () => reject(new Error('upgrade accepted')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
    });
  });
}

/** An open client that collects every message it receives. */
async function client(): Promise<{ ws: WebSocket; messages: Record<string, unknown>[]; next: (n: number) => Promise<Record<string, unknown>[]> }> {
  const ws = new WebSocket(standIn.url, { headers: { Authorization: `Token ${TOKEN}` } });
  sockets.push(ws);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const next = async (n: number) => {
    const from = messages.length;
    await expect.poll(() => messages.length, { timeout: 2000 }).toBeGreaterThanOrEqual(from + n);
    return messages.slice(from, from + n);
  };
  return { ws, messages, next };
}

describe('Mist WebSocket stand-in', () => {
  it('refuses an upgrade without the token, or with a wrong one, with 401', async () => {
    standIn = await MistWsStandIn.start({ token: TOKEN });
    expect((await upgradeRefusal(standIn.url, {})).status).toBe(401);
    const wrong = await upgradeRefusal(standIn.url, { Authorization: 'Token nope' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toHaveProperty('detail');
    expect((await upgradeRefusal(standIn.url, { Authorization: `Bearer ${TOKEN}` })).status).toBe(401);
    expect((await upgradeRefusal(standIn.url.replace('/api-ws/v1/stream', '/v1/stream'), { Authorization: `Token ${TOKEN}` })).status).toBe(404);
    expect(standIn.upgrades.map((u) => u.status)).toEqual([401, 401, 401, 404]);
  });

  it('answers every upgrade with a chosen status, with Retry-After when asked', async () => {
    standIn = await MistWsStandIn.start({ token: TOKEN });
    standIn.refuseUpgrades(429, 42);
    expect(await upgradeRefusal(standIn.url, { Authorization: `Token ${TOKEN}` })).toMatchObject({ status: 429, retryAfter: '42' });
    standIn.refuseUpgrades(403);
    expect(await upgradeRefusal(standIn.url, { Authorization: `Token ${TOKEN}` })).toMatchObject({ status: 403, retryAfter: undefined });
    standIn.refuseUpgrades(null);
    await client();
    expect(standIn.upgrades.map((u) => u.status)).toEqual([429, 403, 101]);
    expect(standIn.connections).toHaveLength(1);
  });

  it('acknowledges subscribe and unsubscribe one channel per message, and pushes data as a string or inline', async () => {
    standIn = await MistWsStandIn.start({ token: TOKEN });
    const { ws, next } = await client();
    ws.send(JSON.stringify({ subscribe: CHANNEL }));
    expect(await next(1)).toEqual([{ event: 'channel_subscribed', channel: CHANNEL }]);
    expect(standIn.subscriptions()).toEqual([CHANNEL]);

    expect(standIn.publish(CHANNEL, { mac: 'a' })).toBe(1);
    expect(standIn.publish(CHANNEL, { mac: 'b' }, { inline: true })).toBe(1);
    expect(standIn.publish('/sites/other/stats/devices', { mac: 'c' })).toBe(0);
    expect(await next(2)).toEqual([
      { event: 'data', channel: CHANNEL, data: '{"mac":"a"}' },
      { event: 'data', channel: CHANNEL, data: { mac: 'b' } },
    ]);
    expect(standIn.messagesPushed).toBe(2);

    ws.send(JSON.stringify({ unsubscribe: CHANNEL }));
    expect(await next(1)).toEqual([{ event: 'channel_unsubscribed', channel: CHANNEL }]);
    expect(standIn.subscriptions()).toEqual([]);
    expect(standIn.connections[0]!.received).toEqual([{ subscribe: CHANNEL }, { unsubscribe: CHANNEL }]);
  });

  it('refuses chosen subscriptions with subscribe_failed, another event, or silence', async () => {
    standIn = await MistWsStandIn.start({ token: TOKEN });
    standIn.refuseSubscriptions('/sites/a/stats/devices', 'subscribe_failed', 1);
    standIn.refuseSubscriptions((c) => c.startsWith('/sites/b/'), 'error');
    standIn.refuseSubscriptions('/sites/c/stats/devices', 'silence');
    const { ws, next, messages } = await client();
    for (const c of ['/sites/a/stats/devices', '/sites/b/stats/clients', '/sites/c/stats/devices', '/sites/a/stats/devices']) {
      ws.send(JSON.stringify({ subscribe: c }));
    }
    expect(await next(3)).toEqual([
      { event: 'subscribe_failed', channel: '/sites/a/stats/devices', detail: 'denied' },
      { event: 'error', channel: '/sites/b/stats/clients', detail: 'channel not allowed' },
      { event: 'channel_subscribed', channel: '/sites/a/stats/devices' },
    ]);
    await new Promise((r) => setTimeout(r, 100));
    expect(messages).toHaveLength(3);
    expect(standIn.subscriptions()).toEqual(['/sites/a/stats/devices']);
  });

  it('sends "1" on /test until unsubscribed', async () => {
    standIn = await MistWsStandIn.start({ token: TOKEN, testIntervalMs: 20 });
    const { ws, next } = await client();
    ws.send(JSON.stringify({ subscribe: '/test' }));
    expect(await next(3)).toEqual([
      { event: 'channel_subscribed', channel: '/test' },
      { event: 'data', channel: '/test', data: '1' },
      { event: 'data', channel: '/test', data: '1' },
    ]);
  });

  it('answers pings until it goes half-open, then stays open and silent', async () => {
    standIn = await MistWsStandIn.start({ token: TOKEN });
    const { ws, messages } = await client();
    ws.send(JSON.stringify({ subscribe: CHANNEL }));
    await expect.poll(() => standIn.subscriptions()).toEqual([CHANNEL]);
    let pongs = 0;
    ws.on('pong', () => (pongs += 1));
    ws.ping();
    await expect.poll(() => pongs).toBe(1);

    standIn.goHalfOpen();
    ws.ping();
    ws.send(JSON.stringify({ unsubscribe: CHANNEL }));
    expect(standIn.publish(CHANNEL, { mac: 'a' })).toBe(0);
    await new Promise((r) => setTimeout(r, 150));
    expect(pongs).toBe(1);
    expect(messages).toEqual([{ event: 'channel_subscribed', channel: CHANNEL }]);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(standIn.connections.map((c) => c.halfOpen)).toEqual([true]);
  });

  it('drops connections mid-stream without a close frame', async () => {
    standIn = await MistWsStandIn.start({ token: TOKEN });
    const { ws } = await client();
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    standIn.dropConnections();
    expect(await closed).toBe(1006);
    await expect.poll(() => standIn.connections.length).toBe(0);
  });
});
