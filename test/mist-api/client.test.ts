import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CallBudget } from '../../src/mist-api/budget.js';
import type { Clock } from '../../src/mist-api/clock.js';
import { createMistClient } from '../../src/mist-api/create.js';
import { MistApiError, MistConfigError, MistUnreachableError } from '../../src/mist-api/errors.js';
import type { ApiAnswer, RetryNotice } from '../../src/mist-api/http.js';
import { resolveOrg } from '../../src/mist-api/org.js';
import { sleValue } from '../support/mist-rest/fixtures.js';
import { type MistRest, type MistRestOptions, startMistRest } from '../support/mist-rest/server.js';

/** The API client against the stand-in of Mist's REST API, over real HTTP. */

let mist: MistRest | undefined;
afterEach(async () => {
  await mist?.close();
  mist = undefined;
});

const manySites = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `site-${String(i + 1).padStart(2, '0')}`, name: `Site ${i + 1}` }));

async function standIn(options: MistRestOptions = {}): Promise<MistRest> {
  mist = await startMistRest(options);
  return mist;
}

function client(m: MistRest, options: Parameters<typeof createMistClient>[2] = {}, budget = new CallBudget()) {
  return createMistClient({ token: m.token, baseUrl: m.url }, budget, { retryMinMs: 5, retryMaxMs: 20, rateLimitBaseMs: 5, ...options });
}

describe('pagination', () => {
  it('follows X-Page-Total over several pages, with the limit the server caps to', async () => {
    const m = await standIn({ orgs: [{ id: 'org-1', name: 'Org', sites: manySites(7) }], maxPageLimit: 3 });
    const sites = await client(m).sites('org-1');
    expect(sites.map((s) => s.id)).toEqual(manySites(7).map((s) => s.id));
    expect(m.calls.map((c) => [c.path, c.query])).toEqual([1, 2, 3].map((page) => ['/orgs/org-1/sites', { limit: '100', page: String(page) }]));
  });

  it('pages the body-style {results, limit, page, total} of sites-sle, with explicit start and end', async () => {
    const m = await standIn({ orgs: [{ id: 'org-1', name: 'Org', sites: manySites(5) }], maxPageLimit: 2 });
    const sle = await client(m).sitesSle('org-1', 'wan', 1_700_000_400, 1_700_001_000);
    expect(sle).toMatchObject({ start: 1_700_000_400, end: 1_700_001_000, total: 5 });
    expect(sle.results.map((r) => r.site_id)).toEqual(manySites(5).map((s) => s.id));
    expect(sle.results[4]!['wan-link-health']).toBe(sleValue('site-05', 'wan-link-health', 1_700_000_400));
    expect(m.calls.map((c) => c.query)).toEqual(
      [1, 2, 3].map((page) => ({ sle: 'wan', start: '1700000400', end: '1700001000', limit: '100', page: String(page) })),
    );
  });

  it("follows a body's `next` link while it stays on the API, and refuses one that leaves it", async () => {
    // Endpoints that page by cursor answer a path to ask next instead of a page number.
    const asked: string[] = [];
    let leave = false;
    const server = createServer((req, res) => {
      asked.push(req.url!);
      const cursor = new URL(req.url!, 'http://x').searchParams.get('cursor');
      const next = cursor === null ? (leave ? 'http://elsewhere.example/api/v1/x' : '/api/v1/orgs/o/insights/sites-sle?cursor=c2&limit=1') : null;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ results: [{ site_id: cursor ?? 'first' }], next, start: 10, end: 20, limit: 1, page: cursor === null ? 1 : 2, total: 2 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = createMistClient({ token: 't0k3n', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, new CallBudget());
      const sle = await c.sitesSle('o', 'wifi', 10, 20);
      expect(sle).toEqual({ start: 10, end: 20, limit: 1, total: 2, results: [{ site_id: 'first' }, { site_id: 'c2' }] });
      expect(asked).toEqual([
        '/api/v1/orgs/o/insights/sites-sle?sle=wifi&start=10&end=20&limit=100&page=1',
        '/api/v1/orgs/o/insights/sites-sle?cursor=c2&limit=1',
      ]);
      leave = true;
      await expect(c.sitesSle('o', 'wifi', 10, 20)).rejects.toThrow(/"next" points outside the API: http:\/\/elsewhere\.example/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('failures', () => {
  it('waits out 429s (without spending the retries) and then succeeds', async () => {
    const m = await standIn();
    m.fail({ path: '/self', status: 429, times: 6 });
    const notices: RetryNotice[] = [];
    const self = await client(m, { retries: 0, onRetry: (n) => notices.push(n) }).self();
    expect(self.privileges).toHaveLength(1);
    expect(m.calls.map((c) => c.status)).toEqual([429, 429, 429, 429, 429, 429, 200]);
    expect(notices).toHaveLength(6);
    expect(notices[0]!.reason).toBe(
      'Mist answered 429 to GET /api/v1/self: Too Many Request. The API Token used for the request reached the 5000 API Calls per hour threshold',
    );
  });

  it("backs off from a 429 at most until the top of the hour, and gives up past the wait allowed with Mist's words", async () => {
    const m = await standIn();
    m.fail({ path: '/self', status: 429 });
    const waits: number[] = [];
    let now = Date.UTC(2025, 0, 1, 10, 59, 58);
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    };
    const err = await client(m, { clock, rateLimitBaseMs: 60_000, maxRateLimitWaitMs: 120_000 })
      .self()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MistApiError);
    expect((err as Error).message).toBe(
      'Mist answered 429 to GET /api/v1/self: Too Many Request. The API Token used for the request reached the 5000 API Calls per hour threshold',
    );
    // 2 s before the hour: the first wait ends by the reset (plus at most 5 s of jitter), not a minute later.
    expect(waits[0]).toBeLessThanOrEqual(7_000);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(120_000);
  });

  it('retries a 5xx with backoff for a GET, never for the POST that creates a webhook', async () => {
    const m = await standIn();
    m.fail({ path: '/const/webhook_topics', status: 502, times: 2 });
    expect((await client(m).webhookTopics()).length).toBeGreaterThan(10);
    expect(m.calls.map((c) => c.status)).toEqual([502, 502, 200]);

    m.fail({ method: 'POST', status: 503, times: 1 });
    const err = await client(m)
      .createWebhook({ kind: 'org', id: m.orgId }, { name: 'x', url: 'https://b.example.com/', topics: ['alarms'] })
      .catch((e: unknown) => e);
    expect((err as MistApiError).status).toBe(503);
    expect(m.calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(m.webhooks()).toEqual([]);
  });

  it('gives up after the retries with the last error', async () => {
    const m = await standIn();
    m.fail({ path: '/self', status: 500, body: { detail: 'database unavailable' } });
    const err = await client(m, { retries: 2 })
      .self()
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('Mist answered 500 to GET /api/v1/self: database unavailable');
    expect(m.calls).toHaveLength(3);
  });

  it('times out a call that never answers, retries it, and says so', async () => {
    const m = await standIn();
    m.fail({ path: '/self', hang: true, times: 1 });
    expect((await client(m, { timeoutMs: 300 }).self()).privileges).toHaveLength(1);
    m.fail({ path: '/self', hang: true });
    const answers: ApiAnswer[] = [];
    const err = await client(m, { timeoutMs: 200, retries: 1, onAnswer: (a) => answers.push(a) })
      .self()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MistUnreachableError);
    expect((err as Error).message).toBe('could not reach Mist for GET /api/v1/self: no answer within 200 ms');
    // Each attempt is told to the bridge's self-telemetry.
    expect(answers).toEqual([
      { method: 'GET', error: 'timeout' },
      { method: 'GET', error: 'timeout' },
    ]);
  });

  it('retries a refused connection, even for a POST, and reports the host', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const notices: RetryNotice[] = [];
    const answers: ApiAnswer[] = [];
    const c = createMistClient({ token: 't0k3n', baseUrl: `http://127.0.0.1:${port}` }, new CallBudget(), {
      retries: 2,
      retryMinMs: 5,
      retryMaxMs: 10,
      onRetry: (n) => notices.push(n),
      onAnswer: (a) => answers.push(a),
    });
    const err = await c.createWebhook({ kind: 'org', id: 'o' }, { topics: ['alarms'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MistUnreachableError);
    expect((err as Error).message).toMatch(
      new RegExp(`^could not reach Mist for POST /api/v1/orgs/o/webhooks: .*ECONNREFUSED.*\\(127\\.0\\.0\\.1:${port}\\)$`),
    );
    expect(notices).toHaveLength(2);
    expect(answers).toEqual(Array.from({ length: 3 }, () => ({ method: 'POST', error: 'unreachable' })));
  });

  it("shows Mist's 401, 403 and 400 bodies verbatim, the token in none of them", async () => {
    const m = await standIn();
    const wrong = createMistClient({ token: 'wrong-token-value', baseUrl: m.url }, new CallBudget());
    const e401 = (await wrong.self().catch((e: unknown) => e)) as MistApiError;
    expect([e401.status, e401.message]).toEqual([401, 'Mist answered 401 to GET /api/v1/self: Authentication credentials were not provided.']);
    expect(`${e401.stack}`).not.toContain('wrong-token-value');

    const e403 = (await client(m)
      .webhooks({ kind: 'org', id: 'not-mine' })
      .catch((e: unknown) => e)) as MistApiError;
    expect(e403.message).toBe('Mist answered 403 to GET /api/v1/orgs/not-mine/webhooks: You do not have permission to perform this action.');

    // An org webhook cannot take a site-only topic: Mist's 400 names the field and the reason.
    const e400 = (await client(m)
      .createWebhook({ kind: 'org', id: m.orgId }, { name: 'x', url: 'https://b.example.com/', topics: ['alarms', 'site-sle'] })
      .catch((e: unknown) => e)) as MistApiError;
    expect(e400.message).toBe(
      `Mist answered 400 to POST /api/v1/orgs/${m.orgId}/webhooks: invalid field: topics (reason: topic site-sle is only available for site webhooks)`,
    );
  });

  it('refuses a token that cannot go in a header without showing it', () => {
    const attempt = () => createMistClient({ token: 'abc def\nghi', baseUrl: 'https://api.mist.com' }, new CallBudget());
    expect(attempt).toThrow(MistConfigError);
    expect(attempt).toThrow(/^MIST_API_TOKEN holds characters an HTTP header cannot carry/);
    try {
      attempt();
    } catch (err) {
      expect(String((err as Error).stack)).not.toContain('abc def');
    }
  });
});

describe('webhooks', () => {
  it('creates, reads back with the read-only fields Mist fills, updates only the fields given, pings and deletes', async () => {
    const m = await standIn();
    const c = client(m);
    const site = { kind: 'site', id: m.orgs[0]!.sites[0]!.id } as const;
    const created = await c.createWebhook(site, { name: 'b', type: 'http-post', url: 'https://b.example.com/h', topics: ['site-sle'], secret: 's' });
    expect(created).toMatchObject({ name: 'b', enabled: true, verify_cert: true, org_id: m.orgId, site_id: site.id, for_site: true, topics: ['site-sle'] });
    expect(typeof created.created_time).toBe('number');
    const updated = await c.updateWebhook(site, created.id, { verify_cert: false });
    expect(updated).toMatchObject({ id: created.id, url: 'https://b.example.com/h', secret: 's', verify_cert: false, topics: ['site-sle'] });
    await c.pingWebhook(site, created.id);
    const [delivery] = await m.waitForDeliveries(1);
    expect(JSON.parse(delivery!.body)).toMatchObject({ topic: 'ping', events: [{ id: created.id, name: 'b', site_id: site.id }] });
    await c.deleteWebhook(site, created.id);
    expect(await c.webhooks(site)).toEqual([]);
  });
});

describe('the org', () => {
  it("is the token's only org, else the error lists them", async () => {
    const one = await standIn();
    expect(await resolveOrg(client(one), undefined, undefined)).toEqual({ orgId: one.orgId, source: 'GET /self' });
    expect(await resolveOrg(client(one), ' o-flag ', 'o-env')).toEqual({ orgId: 'o-flag', source: '--org' });
    await one.close();
    const none = await standIn({ orgs: [] });
    await expect(resolveOrg(client(none), undefined, '')).rejects.toThrow('the API token has no org privilege; give --org <org id> or set MIST_ORG_ID');
  });
});

describe('the call budget', () => {
  it('every attempt, retries included, takes a call from the hour shared by all clients of the process', async () => {
    const m = await standIn();
    const budget = new CallBudget();
    m.fail({ path: '/self', status: 500, times: 1 });
    await client(m, {}, budget).self();
    await client(m, {}, budget).webhookTopics();
    expect(budget.used()).toBe(3);
  });
});
