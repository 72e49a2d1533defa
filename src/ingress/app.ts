import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { decodeEnvelope, EnvelopeError, type Envelope } from '../envelope/decode.js';
import { nowNs } from '../envelope/time.js';
import type { Logger } from '../log/logger.js';
import { untrusted } from '../log/untrusted.js';
import { BodyBudget } from './body-budget.js';
import { bodyLimit } from './body-limit.js';
import { problem, refuse, type Refusal } from './problem.js';
import { origin, type IngressEnv } from './request.js';
import { requireSignature } from './require-signature.js';
import type { SignaturePolicy } from './signature.js';

export type { Refusal } from './problem.js';

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

/** Refuses before the body is read while the sink can take nothing (the journal is full). */
function admission(sink: DeliverySink, log: Logger) {
  return createMiddleware<IngressEnv>(async (c, next) => {
    c.set('receivedNs', nowNs());
    const refusal = sink.refusal();
    if (refusal) {
      log.warn('delivery refused: busy', { status: 503, reason: refusal.reason, ...origin(c) });
      return refuse(c, refusal);
    }
    await next();
  });
}

/**
 * The HTTP surface: the webhook route, health probes, and JSON errors for everything else. A
 * delivery passes admission, the body limit and the signature check (each a middleware that
 * answers on its own when the delivery fails it), then is decoded and handed to the sink.
 * Served by @hono/node-server it reads Node's request directly; `app.request()` works too.
 */
export function createIngress(options: IngressOptions): Hono<IngressEnv> {
  const { path, sink, log, observer, metricsText } = options;
  const app = new Hono<IngressEnv>();
  const budget = options.maxInflightBodyBytes === undefined ? undefined : new BodyBudget(options.maxInflightBodyBytes);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => (options.isReady() ? c.json({ status: 'ready' }) : c.json({ status: 'not ready' }, 503)));
  if (metricsText) {
    app.get('/metrics', async (c) => c.body(await metricsText(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
  }
  if (observer) {
    app.use(path, async (c, next) => {
      await next();
      observer.delivery(c.res.status);
    });
  }

  app.post(
    path,
    admission(sink, log),
    bodyLimit({ maxBodyBytes: options.maxBodyBytes, budget, log }),
    requireSignature({ policy: options.signature, log, onFailure: observer && ((reason) => observer.signatureFailure(reason)) }),
    async (c) => {
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(c.get('body').decoded);
      } catch (err) {
        if (!(err instanceof EnvelopeError)) throw err;
        log.warn('delivery refused: envelope', { status: 400, error: err.code, detail: untrusted(err.message), ...origin(c) });
        return problem(c, 400, err.code, err.message);
      }
      const result = await sink.accept(envelope, c.get('body').decoded, c.get('receivedNs'));
      if (result.status === 'refused') {
        log.warn('delivery refused: busy', { status: 503, reason: result.reason, ...origin(c) });
        return refuse(c, result);
      }
      return c.json(
        { status: 'accepted', topic: envelope.topic, events: result.events, duplicates: result.duplicates, failed_events: result.failedEvents },
        200,
      );
    },
  );

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
