/**
 * The stream client against the local stand-in of Mist's WebSocket API, over real sockets:
 * subscriptions and their refusals, data, dropped and half-open connections, refused upgrades,
 * site changes, the per-connection cap and shutdown. Timings are shortened through the settings;
 * config.test.ts holds the defaults.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { apBasic, apFull, wirelessClient } from '../../mist-payloads/stream.mjs';
import { createLogger } from '../../src/log/logger.js';
import { StreamClient } from '../../src/sources/stream/client.js';
import { loadStreamSettings } from '../../src/sources/stream/config.js';
import type { StreamMessage } from '../../src/sources/stream/decode.js';
import type { ListSites } from '../../src/sources/stream/sites.js';
import { MistWsStandIn } from '../support/mist-ws/stand-in.js';

const TOKEN = 'tok-7d1e0c4b-never-log-me';
const SITES = [
  '4ac1dcf4-9d8b-7211-65c4-057819f0862b',
  'f5fcbee5-fbca-45b3-8bf1-1619ede87879',
  'c1947558-268d-4d31-9a5e-0f2b3c4d5e6f',
  '2818e386-8dec-2562-9ede-5b8a0fbbdc71',
];
const [A, B, C, D] = SITES as [string, string, string, string];
const devices = (site: string) => `/sites/${site}/stats/devices`;
const clients = (site: string) => `/sites/${site}/stats/clients`;

/** Short timings so that reconnects, timeouts and refusals play out in a test's time. */
const FAST = {
  pingIntervalMs: 100,
  idleTimeoutMs: 600,
  connectTimeoutMs: 2_000,
  reconnectInitialMs: 50,
  reconnectMaxMs: 400,
  authFailureRetryMs: 1_500,
  rateLimitRetryMs: 800,
  subscribeTimeoutMs: 500,
  subscribeRetryMs: 150,
  subscribeRetryMaxMs: 600,
  sitesRefreshMs: 200,
  sitesRetryMs: 100,
};

interface Run {
  standIn: MistWsStandIn;
  client: StreamClient;
  messages: StreamMessage[];
  logs: Record<string, unknown>[];
}

const allLogLines: string[] = [];
const runs: Run[] = [];

async function run(
  options: { sites?: string[]; listSites?: ListSites; token?: string; settings?: Record<string, unknown>; onMessage?: (m: StreamMessage) => void } = {},
): Promise<Run> {
  const standIn = await MistWsStandIn.start({ token: TOKEN });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => {
    allLogLines.push(line);
    logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const settings = loadStreamSettings(
    {
      MIST_API_TOKEN: options.token ?? TOKEN,
      MIST_WS_URL: standIn.url,
      ...(options.listSites ? {} : { MIST_SITE_IDS: (options.sites ?? [A]).join(',') }),
    },
    { ...FAST, ...options.settings },
  );
  const messages: StreamMessage[] = [];
  const client = new StreamClient({
    settings,
    listSites: options.listSites ?? (() => Promise.reject(new Error('sites are fixed'))),
    onMessage: options.onMessage ?? ((m) => messages.push(m)),
    log,
  });
  const r = { standIn, client, messages, logs };
  runs.push(r);
  client.start();
  return r;
}

const until = (assertion: () => void, timeout = 5_000) => vi.waitFor(assertion, { timeout, interval: 10 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logged = (r: Run, msg: string | RegExp) => r.logs.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))));

function allSubscribed(r: Run, channels: string[]): void {
  expect(r.standIn.subscriptions()).toEqual([...channels].sort());
  for (const channel of channels) expect(r.client.counters.channels.get(channel)?.state, channel).toBe('subscribed');
}

afterEach(async () => {
  for (const r of runs.splice(0)) {
    await r.client.stop(Date.now() + 1_000);
    await r.standIn.close();
  }
});

afterAll(() => {
  expect(allLogLines.length).toBeGreaterThan(0);
  for (const line of allLogLines) expect(line).not.toContain(TOKEN);
  for (const line of allLogLines) expect(line).not.toContain('wrong-token');
});

describe('stream client against the Mist stand-in', () => {
  it('authenticates the upgrade with the token and subscribes every channel of every site, one per message', async () => {
    const r = await run({ sites: [A, B] });
    const channels = [devices(A), clients(A), devices(B), clients(B)];
    await until(() => allSubscribed(r, channels));
    expect(r.standIn.upgrades.map((u) => [u.status, u.authorization])).toEqual([[101, `Token ${TOKEN}`]]);
    expect(r.standIn.connections).toHaveLength(1);
    expect(r.standIn.connections[0]!.received).toEqual(channels.map((c) => ({ subscribe: c })));
    expect([...r.client.counters.connections.values()]).toMatchObject([{ id: 1, state: 'open', reconnects: 0, lastRefusal: null }]);
    expect(r.client.counters.channels.get(clients(B))).toMatchObject({ siteId: B, kind: 'stats/clients', connection: 1 });
  });

  it('counts and logs a refused subscription and retries it until the server takes it', async () => {
    const r = await run({ sites: [A, B] });
    r.standIn.refuseSubscriptions(devices(A), 'subscribe_failed', 2);
    r.standIn.refuseSubscriptions(clients(A), 'error', 1);
    r.standIn.refuseSubscriptions(devices(B), 'silence', 1);
    const channels = [devices(A), clients(A), devices(B), clients(B)];
    await until(() => allSubscribed(r, channels));

    const failures = Object.fromEntries(channels.map((c) => [c, r.client.counters.channels.get(c)?.subscriptionFailures]));
    expect(failures).toEqual({ [devices(A)]: 2, [clients(A)]: 1, [devices(B)]: 1, [clients(B)]: 0 });
    const subscribes = r.standIn.connections[0]!.received.filter((m) => (m as { subscribe?: string }).subscribe === devices(A));
    expect(subscribes).toHaveLength(3);

    const warnings = logged(r, 'stream subscription failed');
    expect(warnings.filter((w) => w.channel === devices(A)).map((w) => w.event)).toEqual(['subscribe_failed', 'subscribe_failed']);
    expect(warnings.find((w) => w.channel === clients(A))).toMatchObject({ event: 'error', detail: 'channel not allowed' });
    expect(warnings.find((w) => w.channel === devices(B))).toMatchObject({ detail: 'no answer within 500 ms' });
    // A refused channel does not take the connection down.
    expect(r.standIn.upgrades).toHaveLength(1);
  });

  it('hands on data sent as a JSON string or as an inline object, and survives data it cannot decode', async () => {
    const r = await run({ sites: [A] });
    await until(() => allSubscribed(r, [devices(A), clients(A)]));
    const before = Date.now();
    r.standIn.publish(devices(A), apBasic());
    r.standIn.publish(devices(A), apFull(), { inline: true });
    r.standIn.publishRaw(devices(A), '{"mac": "5c5b35000001", "uptime":');
    r.standIn.publishRaw(clients(A), null);
    r.standIn.publish(clients(A), wirelessClient());
    await until(() => expect(r.messages).toHaveLength(3));

    expect(r.messages.map(({ channel, kind, siteId, document }) => ({ channel, kind, siteId, document }))).toEqual([
      { channel: devices(A), kind: 'stats/devices', siteId: A, document: apBasic() },
      { channel: devices(A), kind: 'stats/devices', siteId: A, document: apFull() },
      { channel: clients(A), kind: 'stats/clients', siteId: A, document: wirelessClient() },
    ]);
    for (const m of r.messages) expect(m.receivedAt).toBeGreaterThanOrEqual(before);
    expect(r.client.counters.channels.get(devices(A))).toMatchObject({ messages: 3, parseFailures: 1 });
    expect(r.client.counters.channels.get(clients(A))).toMatchObject({ messages: 2, parseFailures: 1 });
    expect(r.client.counters.channels.get(clients(A))?.lastMessageAt).toBeGreaterThanOrEqual(before);
    const warning = logged(r, 'stream message not decodable')[0];
    expect(warning).toMatchObject({ channel: devices(A), reason: expect.stringMatching(/^data is not JSON/) });
  });

  it('keeps going when the message handler throws', async () => {
    let calls = 0;
    const r = await run({
      sites: [A],
      onMessage: () => {
        calls += 1;
        if (calls === 1) throw new Error('mapping bug');
      },
    });
    await until(() => allSubscribed(r, [devices(A), clients(A)]));
    r.standIn.publish(devices(A), apFull());
    r.standIn.publish(devices(A), apFull());
    await until(() => expect(calls).toBe(2));
    expect(logged(r, 'stream message handler failed')[0]).toMatchObject({ channel: devices(A), error: 'mapping bug' });
    expect(r.standIn.connections).toHaveLength(1);
  });

  it('reconnects with backoff when the server drops the connection mid-stream, re-subscribes everything, and hands on no message twice', async () => {
    const r = await run({ sites: [A, B] });
    const channels = [devices(A), clients(A), devices(B), clients(B)];
    await until(() => allSubscribed(r, channels));

    let seq = 0;
    const pushed: number[] = [];
    const publisher = setInterval(() => {
      seq += 1;
      if (r.standIn.publish(devices(A), apFull({ seq })) > 0) pushed.push(seq);
    }, 2);
    let droppedAt = 0;
    let resubscribedAt = 0;
    try {
      await until(() => expect(r.messages.length).toBeGreaterThan(20));
      droppedAt = seq;
      r.standIn.dropConnections();
      await until(() => expect(r.standIn.upgrades).toHaveLength(2));
      await until(() => allSubscribed(r, channels));
      resubscribedAt = seq;
      await until(() => expect(pushed.filter((s) => s > resubscribedAt).length).toBeGreaterThan(20));
    } finally {
      clearInterval(publisher);
    }
    const afterResubscribe = pushed.filter((s) => s > resubscribedAt);
    await until(() => expect(r.messages.slice(-afterResubscribe.length).map((m) => (m.document as { seq: number }).seq)).toEqual(afterResubscribe));

    // Frames in flight when the socket was cut are lost with it; none is handed on twice or out of order.
    const handled = r.messages.map((m) => (m.document as { seq: number }).seq);
    expect(new Set(handled).size).toBe(handled.length);
    expect(handled).toEqual([...handled].sort((x, y) => x - y));
    expect(handled.every((s) => pushed.includes(s))).toBe(true);
    expect(handled.filter((s) => s <= droppedAt).length).toBeGreaterThan(20);
    const lost = logged(r, 'stream connection lost; reconnecting')[0];
    expect(lost).toMatchObject({ connection: 1, code: 1006, attempt: 1 });
    expect(lost!.retryInMs).toBeGreaterThanOrEqual(FAST.reconnectInitialMs / 2);
    expect(lost!.retryInMs).toBeLessThanOrEqual(FAST.reconnectInitialMs);
    expect(r.standIn.connections).toHaveLength(1);
    expect(r.standIn.connections[0]!.received).toEqual(channels.map((c) => ({ subscribe: c })));
    expect(r.client.counters.connections.get(1)).toMatchObject({ state: 'open', reconnects: 1 });
    expect(r.client.counters.channels.get(clients(B))?.reconnects).toBe(1);
  });

  it('resets the backoff only once every subscription is acknowledged again', async () => {
    let refusing = true;
    const r = await run({ sites: [A] });
    r.standIn.refuseSubscriptions((c) => refusing && c === clients(A), 'subscribe_failed');
    const attempts = async (n: number) => {
      const from = logged(r, 'stream connection lost; reconnecting').length;
      for (let i = 0; i < n; i += 1) {
        await until(() => expect(r.standIn.subscriptions()).toContain(devices(A)));
        await until(() => expect(r.client.counters.channels.get(clients(A))?.state).toBe(refusing ? 'failed' : 'subscribed'));
        r.standIn.dropConnections();
        await until(() => expect(logged(r, 'stream connection lost; reconnecting').length).toBe(from + i + 1));
      }
      return logged(r, 'stream connection lost; reconnecting')
        .slice(from)
        .map((l) => l.attempt);
    };
    expect(await attempts(3)).toEqual([1, 2, 3]);
    refusing = false;
    await until(() => allSubscribed(r, [devices(A), clients(A)]));
    expect(await attempts(2)).toEqual([1, 1]);
  });

  it('declares a half-open connection dead after the idle timeout and reconnects', async () => {
    const r = await run({ sites: [A] });
    await until(() => allSubscribed(r, [devices(A), clients(A)]));
    const silentAt = Date.now();
    r.standIn.goHalfOpen();
    await until(() => expect(r.standIn.upgrades).toHaveLength(2), 3_000);
    const reconnectedAt = r.standIn.upgrades[1]!.at;

    const lost = logged(r, 'stream connection lost; reconnecting')[0]!;
    expect(lost.error).toMatch(/no message and no pong for 600 ms/);
    const detectedAt = Date.parse(String(lost.time));
    // The last pong came at most one ping interval before the server went silent.
    expect(detectedAt - silentAt).toBeGreaterThanOrEqual(FAST.idleTimeoutMs - FAST.pingIntervalMs - 20);
    expect(detectedAt - silentAt).toBeLessThanOrEqual(FAST.idleTimeoutMs + 250);
    expect(reconnectedAt - silentAt).toBeLessThanOrEqual(FAST.idleTimeoutMs + FAST.reconnectInitialMs + 300);

    await until(() => allSubscribed(r, [devices(A), clients(A)]));
    expect(r.standIn.connections.map((c) => c.halfOpen)).toEqual([false]);
    r.standIn.publish(devices(A), apFull());
    await until(() => expect(r.messages).toHaveLength(1));
  });

  it('treats a 401 on the upgrade as a configuration error: says so, without the token, and waits minutes rather than looping', async () => {
    const r = await run({ sites: [A], token: 'wrong-token' });
    await until(() => expect(r.standIn.upgrades).toHaveLength(2), 4_000);
    await sleep(FAST.authFailureRetryMs / 2);
    expect(r.standIn.upgrades).toHaveLength(2);
    const [first, second] = r.standIn.upgrades;
    expect(first!.status).toBe(401);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(FAST.authFailureRetryMs - 20);

    const error = r.logs.find((l) => l.level === 'error')!;
    expect(error.msg).toMatch(
      /^configuration error: Mist refused the stream connection to ws:\/\/127\.0\.0\.1:\d+\/api-ws\/v1\/stream with HTTP 401: MIST_API_TOKEN is wrong/,
    );
    expect(error).toMatchObject({ status: 401, retryInMs: FAST.authFailureRetryMs });
    expect(r.client.counters.connections.get(1)).toMatchObject({ state: 'waiting', lastRefusal: 401 });
    expect(r.standIn.connections).toHaveLength(0);
  });

  it('treats a 403 the same way, and connects once the server lets it in', async () => {
    const r = await run({ sites: [A] });
    r.standIn.refuseUpgrades(403);
    await until(() => expect(r.standIn.upgrades).toHaveLength(1));
    r.standIn.refuseUpgrades(null);
    await until(() => allSubscribed(r, [devices(A), clients(A)]), 4_000);
    expect(r.standIn.upgrades[1]!.at - r.standIn.upgrades[0]!.at).toBeGreaterThanOrEqual(FAST.authFailureRetryMs - 20);
    expect(r.logs.find((l) => l.level === 'error')?.msg).toMatch(/configuration error: .*HTTP 403: the API token is not allowed/);
    expect(r.client.counters.connections.get(1)).toMatchObject({ state: 'open', lastRefusal: null, reconnects: 1 });
  });

  it('waits at least the rate-limit minimum after a 429, longer when Retry-After says so', async () => {
    const r = await run({ sites: [A] });
    r.standIn.refuseUpgrades(429);
    await until(() => expect(r.standIn.upgrades).toHaveLength(2), 3_000);
    r.standIn.refuseUpgrades(429, 2);
    await until(() => expect(r.standIn.upgrades).toHaveLength(3), 3_000);
    r.standIn.refuseUpgrades(null);
    await until(() => expect(r.standIn.upgrades).toHaveLength(4), 4_000);
    await until(() => allSubscribed(r, [devices(A), clients(A)]));

    const at = r.standIn.upgrades.map((u) => u.at);
    expect(r.standIn.upgrades.map((u) => u.status)).toEqual([429, 429, 429, 101]);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(FAST.rateLimitRetryMs - 20);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(FAST.rateLimitRetryMs - 20);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(2_000 - 20);
    expect(logged(r, /^Mist rate-limited the stream connection \(HTTP 429\); retrying in/).map((l) => l.retryInMs)).toEqual([
      FAST.rateLimitRetryMs,
      FAST.rateLimitRetryMs,
      2_000,
    ]);
  });

  it('subscribes sites that appear and unsubscribes sites that go while running', async () => {
    let sites = [A, B];
    let failNext = false;
    const r = await run({
      listSites: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('GET /api/v1/orgs/…/sites: 503');
        }
        return sites;
      },
    });
    await until(() => allSubscribed(r, [devices(A), clients(A), devices(B), clients(B)]));

    failNext = true;
    await until(() => expect(logged(r, "cannot list the org's sites for the stream; keeping the sites already streamed")).toHaveLength(1));
    expect(r.standIn.subscriptions()).toHaveLength(4);

    sites = [B, C];
    await until(() => allSubscribed(r, [devices(B), clients(B), devices(C), clients(C)]));
    const received = r.standIn.connections[0]!.received;
    expect(received).toContainEqual({ unsubscribe: devices(A) });
    expect(received).toContainEqual({ unsubscribe: clients(A) });
    expect([...r.client.counters.channels.keys()].sort()).toEqual([devices(B), clients(B), devices(C), clients(C)].sort());
    expect(r.standIn.upgrades).toHaveLength(1);
  });

  it('spreads channels over more connections beyond the per-connection cap, and closes a connection left empty', async () => {
    let sites = [A, B, C, D];
    const r = await run({ listSites: async () => sites, settings: { maxChannelsPerConnection: 3 } });
    const channels = SITES.flatMap((s) => [devices(s), clients(s)]);
    await until(() => allSubscribed(r, channels));
    expect(r.standIn.connections.map((c) => c.subscriptions.size)).toEqual([3, 3, 2]);
    expect(r.client.counters.connections.size).toBe(3);

    sites = [A];
    await until(() => allSubscribed(r, [devices(A), clients(A)]));
    await until(() => expect(r.standIn.connections).toHaveLength(1));
    expect(r.client.counters.connections.size).toBe(1);
  });

  it('stop() unsubscribes every channel and closes within the deadline', async () => {
    const r = await run({ sites: [A, B] });
    const channels = [devices(A), clients(A), devices(B), clients(B)];
    await until(() => allSubscribed(r, channels));
    const connection = r.standIn.connections[0]!;
    const started = Date.now();
    await r.client.stop(started + 1_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(connection.received.slice(channels.length)).toEqual(channels.map((c) => ({ unsubscribe: c })));
    await until(() => expect(r.standIn.connections).toHaveLength(0));
    expect([...r.client.counters.connections.values()].map((c) => c.state)).toEqual(['stopped']);
    await sleep(FAST.reconnectMaxMs);
    expect(r.standIn.upgrades).toHaveLength(1);
  });

  it('stop() cuts a connection that does not answer, by the deadline', async () => {
    const r = await run({ sites: [A] });
    await until(() => allSubscribed(r, [devices(A), clients(A)]));
    r.standIn.goHalfOpen();
    const deadline = Date.now() + 300;
    await r.client.stop(deadline);
    expect(Date.now()).toBeLessThanOrEqual(deadline + 100);
    await until(() => expect(r.standIn.connections).toHaveLength(0));
  });

  it('stop() during a backoff wait ends it at once', async () => {
    const r = await run({ sites: [A] });
    r.standIn.refuseUpgrades(401);
    await until(() => expect(r.client.counters.connections.get(1)?.state).toBe('waiting'));
    const started = Date.now();
    await r.client.stop(started + 1_000);
    expect(Date.now() - started).toBeLessThan(200);
    await sleep(FAST.authFailureRetryMs + 100);
    expect(r.standIn.upgrades).toHaveLength(1);
  });
});
