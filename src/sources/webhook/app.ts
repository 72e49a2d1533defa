import { type Context, Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { problem, refuse } from '../../http/problem.js';
import type { Inspector, SignatureCheck } from '../../inspect/feed.js';
import type { Logger } from '../../log/logger.js';
import { untrusted } from '../../log/untrusted.js';
import { nowNs } from '../../mapping/time.js';
import type { Batch, BatchConsumer } from '../contract.js';
import { BodyBudget } from './body-budget.js';
import { bodyLimit } from './body-limit.js';
import { ENVELOPE_CODEC } from './codec.js';
import { decodeEnvelope, type Envelope, EnvelopeError } from './envelope.js';
import { type IngressEnv, origin } from './request.js';
import { requireSignature } from './require-signature.js';
import type { SignaturePolicy, SignatureVerdict } from './signature.js';

/** What the webhook route reports about itself (src/self). */
export interface IngressObserver {
  delivery(statusCode: number): void;
  signatureFailure(reason: string): void;
  /** A delivery the stages took: its events kept and the repeats dropped. */
  events(topic: string, accepted: number, duplicates: number): void;
}

export interface WebhookAppOptions {
  path: string;
  maxBodyBytes: number;
  signature: SignaturePolicy;
  /** The stage accepted deliveries go to (deduplication, then the journal). */
  next: BatchConsumer;
  log: Logger;
  observer?: IngressObserver;
  /** The inspector page's feed, when the page is on. */
  inspector?: Inspector;
  /** Request body bytes held in memory at once, across all requests (unbounded when absent). */
  maxInflightBodyBytes?: number;
  /** Whether the source takes deliveries (false while the bridge stops): 503 otherwise. */
  taking: () => boolean;
}

/** Refuses before the body is read while the next stage can take nothing (the journal is full). */
function admission(next: BatchConsumer, taking: () => boolean, log: Logger) {
  return createMiddleware<IngressEnv>(async (c, proceed) => {
    c.set('receivedNs', nowNs());
    const refusal = taking() ? next.refusal?.() : { reason: 'the bridge is stopping', retryAfterSeconds: 5 };
    if (refusal) {
      log.warn('delivery refused: busy', { status: 503, reason: refusal.reason, ...origin(c) });
      return refuse(c, refusal);
    }
    await proceed();
  });
}

/** A signature verdict as the inspector page shows it; which secret matched only while several are configured (a rotation). */
function shown(verdict: SignatureVerdict | undefined, secrets: number): SignatureCheck | undefined {
  if (verdict === undefined) return undefined;
  if (verdict.ok) {
    if (verdict.scheme === 'unsigned') return { verdict: 'unsigned' };
    return secrets > 1 ? { verdict: 'good', scheme: verdict.scheme, secretIndex: verdict.secretIndex } : { verdict: 'good', scheme: verdict.scheme };
  }
  if (verdict.reason === 'invalid') return { verdict: 'wrong', scheme: verdict.scheme };
  return { verdict: verdict.reason === 'missing' ? 'missing' : 'sha1_refused' };
}

/** Who sent it: the socket's peer (an IPv4 address without its IPv6 mapping), and what a proxy says it forwarded. */
function sender(c: Context): string {
  const o = origin(c);
  const peer = o.peer?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') ?? '?';
  return o.forwardedFor ? `${o.forwardedFor} (via ${peer})` : peer;
}

/** The topic a body names, read without trusting it (it was refused): undefined when it names none. */
function claimedTopic(body: Uint8Array): string | undefined {
  try {
    const topic = (JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as { topic?: unknown } | null)?.topic;
    return typeof topic === 'string' ? topic : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A delivery answered anything but 200 appears on the inspector page with why. One decoded and
 * handed on already has its entry (the next stage refused it, or failed): it is finished with
 * the answer; one refused earlier gets a new entry, with what was read of it.
 */
async function inspectRefusal(c: Context<IngressEnv>, inspector: Inspector, secrets: number): Promise<void> {
  const answer = (await c.res
    .clone()
    .json()
    .catch(() => ({}))) as { error?: string; message?: string };
  const reason = `${answer.error ?? 'refused'}: ${answer.message ?? ''}`;
  const inspection = c.get('inspection');
  if (inspection) {
    inspection.finish({ status: c.res.status, refused: reason });
    return;
  }
  const body = c.get('body')?.decoded;
  const topic = body && claimedTopic(body);
  inspector.refused(
    {
      source: 'webhook',
      ...(topic !== undefined && { topic }),
      sender: sender(c),
      signature: shown(c.get('signature'), secrets),
      ...(body && { body }),
      receivedAt: receivedAt(c),
    },
    c.res.status,
    reason,
  );
}

/** When the request was taken up (epoch ms), as the batch's receivedNs says. */
function receivedAt(c: Context<IngressEnv>): number {
  const ns = c.get('receivedNs');
  return ns === undefined ? Date.now() : Number(ns / 1_000_000n);
}

/**
 * The webhook source's HTTP route. A delivery passes admission, the body limit and the signature
 * check (each a middleware that answers on its own when the delivery fails it), is decoded into a
 * batch and handed to the next stage; it is answered 200 once that stage has made it durable.
 * Served by @hono/node-server it reads Node's request directly; `app.request()` works too.
 */
export function createWebhookApp(options: WebhookAppOptions): Hono<IngressEnv> {
  const { path, next, log, observer, inspector } = options;
  const app = new Hono<IngressEnv>();
  const budget = options.maxInflightBodyBytes === undefined ? undefined : new BodyBudget(options.maxInflightBodyBytes);

  const secrets = options.signature.secrets.length;
  if (observer || inspector) {
    app.use(path, async (c, proceed) => {
      await proceed();
      observer?.delivery(c.res.status);
      if (inspector && c.req.method === 'POST' && c.res.status !== 200) await inspectRefusal(c, inspector, secrets);
    });
  }

  app.post(
    path,
    admission(next, options.taking, log),
    bodyLimit({ maxBodyBytes: options.maxBodyBytes, budget, log }),
    requireSignature({ policy: options.signature, log, onFailure: observer && ((reason) => observer.signatureFailure(reason)) }),
    async (c) => {
      const body = c.get('body').decoded;
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(body);
      } catch (err) {
        if (!(err instanceof EnvelopeError)) throw err;
        log.warn('delivery refused: envelope', { status: 400, error: err.code, detail: untrusted(err.message), ...origin(c) });
        return problem(c, 400, err.code, err.message);
      }
      const inspection = inspector?.begin({
        source: 'webhook',
        topic: envelope.topic,
        sender: sender(c),
        signature: shown(c.get('signature'), secrets),
        events: envelope.events.length,
        body,
        receivedAt: receivedAt(c),
      });
      if (inspection) c.set('inspection', inspection);
      const batch: Batch = {
        source: 'webhook',
        kind: envelope.topic,
        events: envelope.events,
        receivedNs: c.get('receivedNs'),
        durable: { codec: ENVELOPE_CODEC.name, raw: body },
        ...(inspection && { observer: inspection }),
      };
      const receipt = await next.consume(batch);
      if (receipt.status === 'refused') {
        log.warn('delivery refused: busy', { status: 503, reason: receipt.reason, ...origin(c) });
        return refuse(c, receipt);
      }
      inspection?.finish({ status: 200, duplicates: receipt.duplicates, ...(receipt.deferred && { deferred: true }) });
      observer?.events(envelope.topic, receipt.events, receipt.duplicates);
      return c.json(
        { status: 'accepted', topic: envelope.topic, events: receipt.events, duplicates: receipt.duplicates, failed_events: receipt.failedEvents },
        200,
      );
    },
  );

  app.all(path, (c) => {
    c.header('Allow', 'POST');
    return problem(c, 405, 'method_not_allowed', `use POST on ${path}`);
  });
  return app;
}
