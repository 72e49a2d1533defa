import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signatureHeaders } from '../../../mist-payloads/sign.mjs';
import { defaultTopics, ERRORS, type Family, SITE_SLE_METRICS, SLE_CLASSIFIERS, SLE_COUNTS, SLE_METRICS, sleValue, type TopicEntry } from './fixtures.js';

/**
 * A local stand-in of Mist's REST API (/api/v1) on 127.0.0.1, speaking the real protocol:
 *
 * - `Authorization: Token <token>` on every call, else 401 with Mist's body;
 *   an org the token has no privilege on answers 403 with Mist's body.
 * - list endpoints page with `limit`/`page` and answer `X-Page-Limit`, `X-Page-Page`,
 *   `X-Page-Total`; the insight endpoint pages in its body (`{results, limit, page, total}`).
 * - `GET /self`, `GET /orgs/:org/sites`, `GET /const/webhook_topics` (with `for_org`).
 * - org and site webhooks: list, create (POST), get, update (PUT changes only the fields given),
 *   delete; Mist's read-only fields filled in; an org webhook asking for a site-only topic is
 *   refused with 400 `{"detail": "invalid field: topics", "reason": …}`.
 * - `POST …/webhooks/:id/ping` answers 200, then POSTs the `ping` topic to the webhook's URL as
 *   Mist does (User-Agent Mist-webhook, X-Mist-Signature-v2/X-Mist-Signature when it has a
 *   secret); each delivery and the receiver's answer are kept in `deliveries`.
 * - `GET /orgs/:org/insights/sites-sle?sle=wifi|wired|wan&start&end` and
 *   `GET /sites/:site/sle/site/:site/metrics` and
 *   `GET /sites/:site/sle/site/:site/metric/:metric/summary-trend`, with values from `sleValue`.
 * - faults: `fail({...})` answers matching calls with a status (429, 403, 5xx…) `times` times, or
 *   never answers (`hang`), or closes the connection without an answer (`reset`).
 *
 * Every call is recorded in `calls`. Use: `const mist = await startMistRest(); … MIST_API_URL=mist.url,
 * MIST_API_TOKEN=mist.token … await mist.close()`.
 */

export interface StandInOrg {
  id: string;
  name: string;
  sites: { id: string; name: string }[];
}

export interface MistRestOptions {
  token?: string;
  /** Orgs the token has an org privilege on (GET /self). Default: one org with three sites. */
  orgs?: StandInOrg[];
  topics?: TopicEntry[];
  /** Largest `limit` honoured; a larger one is capped (and the cap shown in X-Page-Limit). */
  maxPageLimit?: number;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface Fault {
  method?: string;
  /** Matched against the path after /api/v1 (a string must be equal, a RegExp must match). */
  path?: string | RegExp;
  status?: number;
  /** JSON body; Mist's documented one for 401, 403 and 429 when omitted. */
  body?: unknown;
  /** How many matching calls fail; then calls are served again. Default: all. */
  times?: number;
  /** Accept the call and never answer. */
  hang?: boolean;
  /** Close the connection without an answer (the client sees a network error). */
  reset?: boolean;
}

export interface StoredWebhook {
  id: string;
  name: string | null;
  url: string;
  type: string;
  enabled: boolean;
  topics: string[];
  secret: string | null;
  verify_cert: boolean;
  headers: Record<string, string>;
  single_event_per_message: boolean;
  org_id: string;
  site_id?: string;
  for_site?: boolean;
  created_time: number;
  modified_time: number;
}

export interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number | null;
  response: string;
  error?: string;
}

export interface MistRest {
  /** The value for MIST_API_URL. */
  url: string;
  token: string;
  /** The first org's id (empty when the token has no org). */
  orgId: string;
  orgs: StandInOrg[];
  calls: RecordedCall[];
  deliveries: Delivery[];
  /** Webhooks as stored, org ones and site ones together. */
  webhooks(): StoredWebhook[];
  fail(fault: Fault): void;
  /** Resolves once `n` deliveries have completed (answered or failed). */
  waitForDeliveries(n: number, timeoutMs?: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

function defaultOrg(): StandInOrg {
  return {
    id: '6a1c2d3e-0000-4000-8000-00000000000a',
    name: 'Stand-in Org',
    sites: [
      { id: '5b000000-0000-4000-8000-000000000001', name: 'HQ' },
      { id: '5b000000-0000-4000-8000-000000000002', name: 'Branch 1' },
      { id: '5b000000-0000-4000-8000-000000000003', name: 'Branch 2' },
    ],
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(String(status));
  }
}

export async function startMistRest(options: MistRestOptions = {}): Promise<MistRest> {
  const token = options.token ?? `stand-in-${randomUUID()}`;
  const orgs = options.orgs ?? [defaultOrg()];
  const topics = options.topics ?? defaultTopics();
  const maxPageLimit = options.maxPageLimit ?? 1000;
  const forOrg = new Set(topics.filter((t) => t.for_org).map((t) => t.key));
  const known = new Set(topics.map((t) => t.key));
  const webhooks = new Map<string, StoredWebhook>();
  const calls: RecordedCall[] = [];
  const deliveries: Delivery[] = [];
  const faults: (Fault & { left: number })[] = [];
  const deliveryWaiters: (() => void)[] = [];

  const siteOrg = (siteId: string): StandInOrg | undefined => orgs.find((o) => o.sites.some((s) => s.id === siteId));

  function page<T>(res: ServerResponse, url: URL, items: T[]): T[] {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), maxPageLimit);
    const pageNo = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    res.setHeader('X-Page-Limit', String(limit));
    res.setHeader('X-Page-Page', String(pageNo));
    res.setHeader('X-Page-Total', String(items.length));
    return items.slice((pageNo - 1) * limit, pageNo * limit);
  }

  function validateTopics(value: unknown, scope: 'org' | 'site'): string[] {
    if (!Array.isArray(value) || value.length === 0 || !value.every((t) => typeof t === 'string')) {
      throw new HttpError(400, { detail: 'invalid field: topics', reason: 'at least one topic is required' });
    }
    for (const t of value as string[]) {
      if (!known.has(t)) throw new HttpError(400, { detail: 'invalid field: topics', reason: `unknown topic ${t}` });
      if (scope === 'org' && !forOrg.has(t))
        throw new HttpError(400, { detail: 'invalid field: topics', reason: `topic ${t} is only available for site webhooks` });
    }
    return value as string[];
  }

  function applyFields(hook: StoredWebhook, body: Record<string, unknown>, scope: 'org' | 'site'): void {
    if ('name' in body) hook.name = body.name === null ? null : String(body.name);
    if ('url' in body) hook.url = String(body.url);
    if ('type' in body) hook.type = String(body.type);
    if ('enabled' in body) hook.enabled = body.enabled === true;
    if ('topics' in body) hook.topics = validateTopics(body.topics, scope);
    if ('secret' in body) hook.secret = body.secret === null ? null : String(body.secret);
    if ('verify_cert' in body) hook.verify_cert = body.verify_cert !== false;
    if ('headers' in body) hook.headers = (body.headers as Record<string, string> | null) ?? {};
    if ('single_event_per_message' in body) hook.single_event_per_message = body.single_event_per_message === true;
    if (hook.type === 'http-post' && !/^https?:\/\//.test(hook.url)) throw new HttpError(400, { detail: 'invalid field: url' });
  }

  function deliverPing(hook: StoredWebhook): void {
    const event: Record<string, unknown> = { id: hook.id, name: hook.name, timestamp: Math.floor(Date.now() / 1000) };
    if (hook.site_id) event.site_id = hook.site_id;
    const body = JSON.stringify({ topic: 'ping', events: [event] });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Mist-webhook', ...hook.headers };
    if (hook.secret) Object.assign(headers, signatureHeaders(body, hook.secret));
    const delivery: Delivery = { url: hook.url, headers, body, status: null, response: '' };
    void fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) })
      .then(async (r) => {
        delivery.status = r.status;
        delivery.response = await r.text();
      })
      .catch((err: unknown) => {
        delivery.error = String((err as Error).cause ?? err);
      })
      .finally(() => {
        deliveries.push(delivery);
        for (const w of deliveryWaiters.splice(0)) w();
      });
  }

  function webhookRoutes(
    method: string,
    scope: 'org' | 'site',
    scopeId: string,
    rest: string[],
    body: Record<string, unknown>,
    res: ServerResponse,
    url: URL,
  ): unknown {
    const mine = [...webhooks.values()].filter((w) => (scope === 'org' ? !w.site_id && w.org_id === scopeId : w.site_id === scopeId));
    const [id, action] = rest;
    if (id === undefined) {
      if (method === 'GET') return page(res, url, mine);
      if (method === 'POST') {
        const now = Math.floor(Date.now() / 1000);
        const orgId = scope === 'org' ? scopeId : siteOrg(scopeId)!.id;
        const hook: StoredWebhook = {
          id: randomUUID(),
          name: null,
          url: '',
          type: 'http-post',
          enabled: true,
          topics: [],
          secret: null,
          verify_cert: true,
          headers: {},
          single_event_per_message: false,
          org_id: orgId,
          ...(scope === 'site' ? { site_id: scopeId, for_site: true } : {}),
          created_time: now,
          modified_time: now,
        };
        if (!('topics' in body)) throw new HttpError(400, { detail: 'invalid field: topics', reason: 'at least one topic is required' });
        applyFields(hook, body, scope);
        webhooks.set(hook.id, hook);
        return hook;
      }
      throw new HttpError(405, { detail: `Method "${method}" not allowed.` });
    }
    const hook = mine.find((w) => w.id === id);
    if (!hook) throw new HttpError(404, ERRORS.notFound);
    if (action === 'ping' && method === 'POST') {
      deliverPing(hook);
      return {};
    }
    if (action !== undefined) throw new HttpError(404, ERRORS.notFound);
    if (method === 'GET') return hook;
    if (method === 'PUT') {
      const copy = { ...hook, topics: [...hook.topics] };
      applyFields(copy, body, scope);
      copy.modified_time = Math.floor(Date.now() / 1000);
      webhooks.set(id!, copy);
      return copy;
    }
    if (method === 'DELETE') {
      webhooks.delete(id!);
      return undefined;
    }
    throw new HttpError(405, { detail: `Method "${method}" not allowed.` });
  }

  function sitesSle(org: StandInOrg, url: URL): unknown {
    const family = url.searchParams.get('sle') as Family | null;
    if (!family || !(family in SLE_METRICS)) throw new HttpError(400, { detail: 'invalid sle' });
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) throw new HttpError(400, { detail: 'invalid start/end' });
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), maxPageLimit);
    const pageNo = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const rows = org.sites.map((s, i) => {
      const row: Record<string, unknown> = { site_id: s.id };
      for (const c of SLE_COUNTS[family]) row[c] = 3 + i;
      for (const m of SLE_METRICS[family]) row[m] = sleValue(s.id, m, start);
      return row;
    });
    return { start, end, interval: end - start, limit, page: pageNo, total: rows.length, results: rows.slice((pageNo - 1) * limit, pageNo * limit) };
  }

  function summaryTrend(siteId: string, metric: string, url: URL): unknown {
    const start = Number(url.searchParams.get('start'));
    const end = Number(url.searchParams.get('end'));
    if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) throw new HttpError(400, { detail: 'invalid start/end' });
    const interval = 600;
    const buckets: number[] = [];
    for (let t = start; t < end; t += interval) buckets.push(t);
    const total = buckets.map(() => 100);
    return {
      start,
      end,
      sle: {
        name: metric,
        interval,
        samples: {
          total,
          degraded: buckets.map((t) => Math.round(100 * (1 - sleValue(siteId, metric, t)))),
          value: buckets.map((t) => sleValue(siteId, metric, t)),
        },
      },
      classifiers: SLE_CLASSIFIERS.map((name) => ({
        name,
        interval,
        samples: { total, degraded: buckets.map((t) => Math.round(50 * (1 - sleValue(siteId, `${metric}/${name}`, t)))) },
      })),
    };
  }

  function route(method: string, path: string, url: URL, body: Record<string, unknown>, res: ServerResponse): unknown {
    const parts = path.split('/').filter(Boolean);
    if (method === 'GET' && path === '/self') {
      return { email: 'bridge@example.com', privileges: orgs.map((o) => ({ scope: 'org', role: 'admin', org_id: o.id, name: o.name })) };
    }
    if (method === 'GET' && path === '/const/webhook_topics') return topics;
    if (parts[0] === 'orgs' && parts[1]) {
      const org = orgs.find((o) => o.id === parts[1]);
      if (!org) throw new HttpError(403, ERRORS.forbidden);
      if (parts[2] === 'sites' && parts.length === 3 && method === 'GET')
        return page(
          res,
          url,
          org.sites.map((s) => ({ ...s, org_id: org.id })),
        );
      if (parts[2] === 'webhooks') return webhookRoutes(method, 'org', org.id, parts.slice(3), body, res, url);
      if (parts[2] === 'insights' && parts[3] === 'sites-sle' && method === 'GET') return sitesSle(org, url);
    }
    if (parts[0] === 'sites' && parts[1]) {
      if (!siteOrg(parts[1])) throw new HttpError(403, ERRORS.forbidden);
      if (parts[2] === 'webhooks') return webhookRoutes(method, 'site', parts[1], parts.slice(3), body, res, url);
      if (parts[2] === 'sle' && parts[5] === 'metrics' && parts.length === 6 && method === 'GET') return SITE_SLE_METRICS;
      // /sites/:site/sle/:scope/:scope_id/metric/:metric/summary-trend
      if (parts[2] === 'sle' && parts[5] === 'metric' && parts[7] === 'summary-trend' && method === 'GET') return summaryTrend(parts[1], parts[6]!, url);
    }
    throw new HttpError(404, ERRORS.notFound);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const method = req.method ?? 'GET';
      const path = url.pathname.replace(/^\/api\/v1/, '');
      const call: RecordedCall = { method, path, query: Object.fromEntries(url.searchParams), status: 0 };
      calls.push(call);
      const send = (status: number, payload: unknown): void => {
        call.status = status;
        const text = payload === undefined ? '' : JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (!url.pathname.startsWith('/api/v1/')) return send(404, ERRORS.notFound);
      if (req.headers.authorization !== `Token ${token}`) return send(401, ERRORS.unauthenticated);
      const fault = faults.find(
        (f) => f.left > 0 && (!f.method || f.method === method) && (f.path === undefined || (typeof f.path === 'string' ? f.path === path : f.path.test(path))),
      );
      if (fault) {
        fault.left--;
        if (fault.hang) return;
        if (fault.reset) return void req.socket.destroy();
        const status = fault.status ?? 500;
        const documented =
          status === 401
            ? ERRORS.unauthenticated
            : status === 403
              ? ERRORS.forbidden
              : status === 429
                ? ERRORS.rateLimited
                : { detail: 'Internal Server Error' };
        return send(status, fault.body ?? documented);
      }
      let body: Record<string, unknown> = {};
      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw.trim() !== '') {
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch (err) {
          return send(400, { detail: `JSON parse error - ${(err as Error).message}` });
        }
      }
      try {
        send(200, route(method, path, url, body, res));
      } catch (err) {
        if (err instanceof HttpError) return send(err.status, err.body);
        send(500, { detail: String(err) });
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    orgId: orgs[0]?.id ?? '',
    orgs,
    calls,
    deliveries,
    webhooks: () => [...webhooks.values()],
    fail: (fault) => faults.push({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY }),
    waitForDeliveries: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${deliveries.length} of ${n} deliveries within ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          if (deliveries.length >= n) {
            clearTimeout(timer);
            resolve(deliveries);
          } else deliveryWaiters.push(check);
        };
        check();
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
