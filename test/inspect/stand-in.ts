import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { decodeEnvelope, EnvelopeError } from '../../src/sources/webhook/envelope.js';
import { nowNs } from '../../src/mapping/time.js';
import { createInspectPage, type InspectPage, type SignatureCheck } from '../../src/inspect/index.js';
import { loadMappings } from '../../src/mapping/loader.js';

/**
 * A small real HTTP server standing in for the bridge until the inspector is wired into it: the
 * inspector's sub-app mounted as the bridge will mount it, and a webhook route that feeds the
 * inspector the way the bridge's sources will — the signature checked against a rotation of
 * secrets, the envelope decoded by the bridge's codec, each event mapped by the bridge's real
 * mapping engine, refusals reported with their status and reason.
 */

export const WEBHOOK_PATH = '/mist/webhook';

const mappings = loadMappings();

export interface StandInOptions {
  /** The configured token; null to have one generated, as the bridge does when none is set. */
  token: string | null;
  secrets: readonly string[];
  /** 0 for any free port; the same port to restart in place. */
  port?: number;
  maxEntries?: number;
  maxBodyBytes?: number;
}

export interface StandIn {
  url: string;
  port: number;
  /** The line the bridge prints at start (the page's URL, with a generated token). */
  startLine: string;
  page: InspectPage;
  /** Feed a stream message as the WebSocket source will. */
  streamMessage(channel: string, data: unknown): void;
  stop(): Promise<void>;
}

function signatureCheck(header: string | undefined, body: Uint8Array, secrets: readonly string[]): SignatureCheck {
  if (header === undefined) return { verdict: 'missing' };
  const expected = /^[0-9a-f]{64}$/i.test(header) ? Buffer.from(header, 'hex') : Buffer.alloc(32);
  let matched: number | undefined;
  secrets.forEach((secret, index) => {
    const digest = createHmac('sha256', secret).update(body).digest();
    if (timingSafeEqual(digest, expected) && matched === undefined) matched = index;
  });
  return matched === undefined ? { verdict: 'wrong', scheme: 'v2' } : { verdict: 'good', scheme: 'v2', secretIndex: matched };
}

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const page = createInspectPage({
    enabled: true,
    token: options.token,
    maxEntries: options.maxEntries ?? 200,
    maxBodyBytes: options.maxBodyBytes ?? 65_536,
  });
  if (!page) throw new Error('the inspector is enabled: a page must be built');
  const { inspector } = page;
  const app = new Hono();

  app.post(WEBHOOK_PATH, async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const peer = getConnInfo(c).remote.address ?? 'unknown';
    const forwarded = c.req.header('x-forwarded-for');
    const sender = forwarded === undefined ? peer : `${forwarded} (via ${peer})`;
    const signature = signatureCheck(c.req.header('x-mist-signature-v2'), body, options.secrets);
    if (signature.verdict !== 'good') {
      const reason =
        signature.verdict === 'missing'
          ? 'signature_missing: X-Mist-Signature-v2 header is required'
          : 'signature_invalid: signature does not match the body under any configured secret';
      inspector.refused({ source: 'webhook', sender, signature, body }, 401, reason);
      return c.json({ error: reason.split(':')[0] }, 401);
    }
    let envelope;
    try {
      envelope = decodeEnvelope(body);
    } catch (err) {
      if (!(err instanceof EnvelopeError)) throw err;
      inspector.refused({ source: 'webhook', sender, signature, body }, 400, `${err.code}: ${err.message}`);
      return c.json({ error: err.code }, 400);
    }
    const inspection = inspector.begin({ source: 'webhook', topic: envelope.topic, sender, signature, events: envelope.events.length, body });
    const receivedNs = nowNs();
    for (const event of envelope.events) {
      try {
        inspection.event(event, mappings.engine.map('webhook', envelope.topic, event, receivedNs));
      } catch (err) {
        inspection.eventFailed(event, err);
      }
    }
    inspection.finish({ status: 200, duplicates: 0 });
    return c.json({ status: 'accepted', topic: envelope.topic, events: envelope.events.length }, 200);
  });
  app.route('/', page.app);

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port ?? 0 }, () => resolve(s));
    s.once('error', reject);
  });
  const http = server as Server;
  const { port } = http.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    startLine: page.startLine(url),
    page,
    streamMessage(channel, data) {
      const text = JSON.stringify(data);
      const inspection = inspector.begin({ source: 'stream', topic: channel, sender: 'api-ws.mist.com', events: 1, body: text });
      try {
        inspection.event(data, mappings.engine.map('webhook', channel, data, nowNs()));
      } catch (err) {
        inspection.eventFailed(data, err);
      }
      inspection.finish();
    },
    async stop() {
      // As the bridge will: end the pages' streams first, or close() waits for them; then
      // close, letting the streams' last bytes out before anything still open is cut.
      page.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const cutOff = setTimeout(() => http.closeAllConnections(), 1_000);
      await closed;
      clearTimeout(cutOff);
    },
  };
}
