import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { IncomingMessage } from 'node:http';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { decodeEnvelope, EnvelopeError, type Envelope } from '../envelope/decode.js';
import { nowNs } from '../envelope/time.js';
import type { Logger } from '../log/logger.js';
import { BodyBudget } from './body-budget.js';
import { BodyError, readBody } from './read-body.js';
import { verifySignature, type SignaturePolicy } from './signature.js';

export interface Refusal {
  reason: string;
  retryAfterSeconds: number;
}

/** What ingress hands a checked delivery to, and asks before taking one. */
export interface DeliverySink {
  /** A reason to refuse new deliveries for now (503 + Retry-After), or undefined. */
  refusal(): Refusal | undefined;
  /** Resolves once the delivery is durable (then it may be acknowledged) or refused. */
  accept(
    envelope: Envelope,
    body: Uint8Array,
    receivedNs: bigint,
  ): Promise<({ status: 'accepted'; events: number; duplicates: number; failedEvents: number } | ({ status: 'refused' } & Refusal))>;
}

/** What ingress reports about itself (src/self). */
export interface IngressObserver {
  delivery(statusCode: number): void;
  signatureFailure(reason: string): void;
}

export interface IngressOptions {
  path: string;
  maxBodyBytes: number;
  signature: SignaturePolicy;
  sink: DeliverySink;
  log: Logger;
  isReady: () => boolean;
  observer?: IngressObserver;
  /** The bridge's own metrics in Prometheus text format, for GET /metrics. */
  metricsText?: () => Promise<string>;
  /** Request body bytes held in memory at once, across all requests (unbounded when absent). */
  maxInflightBodyBytes?: number;
}

/** The Node request behind Hono's: @hono/node-server passes it as `c.env.incoming`. */
function incomingOf(c: Context): IncomingMessage {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (!incoming) throw new Error('the ingress app must be served by @hono/node-server');
  return incoming;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function problem(c: Context, status: ContentfulStatusCode, error: string, message: string): Response {
  return c.json({ error, message }, status);
}

function refuse(c: Context, refusal: Refusal): Response {
  c.header('Retry-After', String(refusal.retryAfterSeconds));
  return problem(c, 503, 'overloaded', refusal.reason);
}

/** The HTTP surface: the webhook route, health probes, and JSON errors for everything else. */
export function createIngress(options: IngressOptions): Hono {
  const { path, maxBodyBytes, signature, sink, log } = options;
  const app = new Hono();
  const budget = options.maxInflightBodyBytes === undefined ? undefined : new BodyBudget(options.maxInflightBodyBytes);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => (options.isReady() ? c.json({ status: 'ready' }) : c.json({ status: 'not ready' }, 503)));
  const { metricsText, observer } = options;
  if (metricsText) {
    app.get('/metrics', async (c) => c.body(await metricsText(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
  }
  if (observer) {
    app.use(path, async (c, next) => {
      await next();
      observer.delivery(c.res.status);
    });
  }

  app.post(path, async (c) => {
    const receivedNs = nowNs();
    const refusal = sink.refusal();
    if (refusal) return refuse(c, refusal);

    let body;
    try {
      body = await readBody(incomingOf(c), maxBodyBytes, budget);
    } catch (err) {
      if (err instanceof BodyError) {
        if (err.status === 503) c.header('Retry-After', '1');
        return problem(c, err.status, err.code, err.message);
      }
      throw err;
    }
    if (budget && body.held > 0) {
      const held = body.held;
      // Held until the answer is sent: the body stays referenced while the delivery is handled.
      (c.env as HttpBindings).outgoing.once('close', () => budget.give(held));
    }

    const bodies = body.wire === body.decoded ? [body.wire] : [body.wire, body.decoded];
    // Node's own header object: c.req.header() would build a fetch Headers for every request.
    const headers = incomingOf(c).headers;
    const verdict = verifySignature(signature, (name) => headerValue(headers[name]), bodies);
    if (!verdict.ok) {
      log.warn('delivery refused: signature', { reason: verdict.reason, remote: c.req.header('x-forwarded-for') });
      observer?.signatureFailure(verdict.reason);
      const message =
        verdict.reason === 'missing'
          ? 'X-Mist-Signature-v2 header is required'
          : verdict.reason === 'sha1_not_allowed'
            ? 'only X-Mist-Signature (SHA-1) was sent and SHA-1 signatures are not allowed; configure a v2 signature or set security.allowSha1'
            : 'signature does not match the body under any configured secret';
      return problem(c, 401, `signature_${verdict.reason}`, message);
    }

    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(body.decoded);
    } catch (err) {
      if (err instanceof EnvelopeError) return problem(c, 400, err.code, err.message);
      throw err;
    }

    const result = await sink.accept(envelope, body.decoded, receivedNs);
    if (result.status === 'refused') return refuse(c, result);
    return c.json(
      { status: 'accepted', topic: envelope.topic, events: result.events, duplicates: result.duplicates, failed_events: result.failedEvents },
      200,
    );
  });

  app.all(path, (c) => {
    c.header('Allow', 'POST');
    return problem(c, 405, 'method_not_allowed', `use POST on ${path}`);
  });
  app.notFound((c) => problem(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    log.error('request failed', { error: err.message });
    return problem(c, 500, 'internal_error', 'the bridge could not handle this request');
  });
  return app;
}
