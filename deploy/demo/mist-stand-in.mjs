#!/usr/bin/env node
// A stand-in of Mist's REST and WebSocket APIs for the demo organisation (demo-org.mjs), so a
// bridge streams device and client statistics before any Mist organisation exists. One port
// serves both, as Mist's api.* and api-ws.* hosts do:
//
//   GET /api/v1/self                 the token's privileges: one org (the bridge finds its org here)
//   GET /api/v1/orgs/{org_id}/sites  the org's sites, paged with limit/page and X-Page-* headers
//   GET /api/v1/orgs/{org_id}/insights/sites-sle?sle=wifi|wired|wan&start&end
//                                    every site's SLEs for a 10-minute bucket (the bridge's SLE poller)
//   /api-ws/v1/stream                WebSocket: {"subscribe": "/sites/{id}/stats/devices"} →
//                                    {"event":"channel_subscribed",…}, then {"event":"data",
//                                    "channel":…,"data":"<document as a JSON string>"} per device
//                                    or client every round (mist-stats.mjs); unsubscribe likewise
//   GET /healthz                     200, for the container's health check (no token)
//
// Every call but /healthz needs `Authorization: Token <token>` (401 otherwise, with Mist's body).
// Built on `ws`, the WebSocket library the bridge itself uses: the demo container runs this file
// from the bridge's image, whose node_modules has it; the tests import it from the repository.
//
//   MIST_API_TOKEN         the token to accept (required)
//   PORT                   default 8080;  HOST default 127.0.0.1
//   DEMO_INTERVAL_SECONDS  seconds between rounds of statistics (default 15)
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { ORG, SITES } from './demo-org.mjs';
import { DemoNetwork, SLE_METRICS, sleRow } from './mist-stats.mjs';

export const STREAM_PATH = '/api-ws/v1/stream';
const CHANNEL = /^\/sites\/([0-9a-f-]{36})\/stats\/(devices|clients)$/;

function json(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

const refuse = (socket, status, detail) => {
  const body = JSON.stringify({ detail });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
};

/**
 * Starts the stand-in; resolves once it listens.
 * @param {{ token: string, host?: string, port?: number, intervalMs?: number, network?: DemoNetwork }} options
 */
export async function startMistStandIn({ token, host = '127.0.0.1', port = 0, intervalMs = 15_000, network = new DemoNetwork() }) {
  if (!token) throw new Error('mist-stand-in: a token is required');
  const authorised = (req) => req.headers.authorization === `Token ${token}`;
  const calls = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
    calls.push(`${req.method} ${url.pathname}`);
    if (!authorised(req)) return json(res, 401, { detail: 'Authentication credentials were not provided.' });
    if (req.method !== 'GET') return json(res, 405, { detail: `Method "${req.method}" not allowed.` });
    if (url.pathname === '/api/v1/self') {
      return json(res, 200, { email: 'demo@example.com', privileges: [{ scope: 'org', org_id: ORG.id, name: ORG.name, role: 'read' }] });
    }
    if (url.pathname === `/api/v1/orgs/${ORG.id}/sites`) {
      const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get('limit') ?? 100) || 100));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const sites = SITES.map((s) => ({ id: s.id, name: s.name, org_id: ORG.id, timezone: 'Europe/London', country_code: 'GB' }));
      return json(res, 200, sites.slice((page - 1) * limit, page * limit), {
        'x-page-limit': String(limit),
        'x-page-page': String(page),
        'x-page-total': String(sites.length),
      });
    }
    if (url.pathname === `/api/v1/orgs/${ORG.id}/insights/sites-sle`) {
      const family = url.searchParams.get('sle') ?? '';
      const start = Number(url.searchParams.get('start'));
      const end = Number(url.searchParams.get('end'));
      if (!(family in SLE_METRICS)) return json(res, 400, { detail: 'invalid sle' });
      if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) return json(res, 400, { detail: 'invalid start/end' });
      const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get('limit') ?? 100) || 100));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const rows = SITES.map((s) => sleRow(s.id, family, start));
      return json(res, 200, { start, end, interval: end - start, limit, page, total: rows.length, results: rows.slice((page - 1) * limit, page * limit) });
    }
    return json(res, 404, { detail: 'Not found.' });
  });

  const wss = new WebSocketServer({ noServer: true });
  /** @type {Map<WebSocket, Set<string>>} */
  const subscriptions = new Map();
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    calls.push(`UPGRADE ${path}`);
    if (path !== STREAM_PATH) return refuse(socket, 404, 'Not found.');
    if (!authorised(req)) return refuse(socket, 401, 'Authentication credentials were not provided.');
    wss.handleUpgrade(req, socket, head, (ws) => {
      subscriptions.set(ws, new Set());
      ws.on('close', () => subscriptions.delete(ws));
      ws.on('error', () => ws.terminate());
      ws.on('message', (data) => {
        let message;
        try {
          message = JSON.parse(data.toString());
        } catch {
          return;
        }
        const channels = subscriptions.get(ws);
        if (typeof message?.subscribe === 'string') {
          channels?.add(message.subscribe);
          send(ws, { event: 'channel_subscribed', channel: message.subscribe });
          // A new subscriber gets the current statistics at once rather than at the next round.
          publish(ws, message.subscribe);
        } else if (typeof message?.unsubscribe === 'string') {
          channels?.delete(message.unsubscribe);
          send(ws, { event: 'channel_unsubscribed', channel: message.unsubscribe });
        }
      });
    });
  });

  function send(ws, message) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function publish(ws, channel) {
    const m = CHANNEL.exec(channel);
    if (!m) return;
    const documents = m[2] === 'devices' ? network.deviceStats(m[1]) : network.clientStats(m[1]);
    for (const document of documents) send(ws, { event: 'data', channel, data: JSON.stringify(document) });
  }

  /** One round: every reading moves on, and every subscriber gets its channels' documents. */
  function round() {
    network.advance();
    for (const [ws, channels] of subscriptions) for (const channel of channels) publish(ws, channel);
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  network.advance();
  const timer = setInterval(round, intervalMs);
  const address = server.address();
  const base = `${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    /** For MIST_API_URL. */
    url: `http://${base}`,
    /** For MIST_WS_URL. */
    wsUrl: `ws://${base}${STREAM_PATH}`,
    orgId: ORG.id,
    siteIds: SITES.map((s) => s.id),
    /** `METHOD /path` of every call and upgrade, in order. */
    calls,
    /** Channels subscribed on open connections, sorted. */
    subscriptions: () => [...subscriptions.values()].flatMap((c) => [...c]).sort(),
    round,
    async close() {
      clearInterval(timer);
      for (const ws of subscriptions.keys()) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// Run as a program (the compose demo): serve until stopped.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const intervalSeconds = Number(process.env.DEMO_INTERVAL_SECONDS ?? 15);
  const standIn = await startMistStandIn({
    token: process.env.MIST_API_TOKEN ?? '',
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 8080),
    intervalMs: intervalSeconds * 1000,
  }).catch((err) => {
    console.error(`mist-stand-in: ${err.message}`);
    process.exit(2);
  });
  console.log(`mist-stand-in: REST ${standIn.url}/api/v1, stream ${standIn.wsUrl}, ${standIn.siteIds.length} sites, a round every ${intervalSeconds} s`);
  const stop = () => void standIn.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
