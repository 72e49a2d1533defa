import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Inspection } from '../../inspect/feed.js';
import { untrusted } from '../../log/untrusted.js';
import type { Body, BodyHeaders, BodyStream } from './read-body.js';
import type { SignatureVerdict } from './signature.js';

/** What the webhook route's middleware hands on (`c.get()`; `c.var` copies them all on each read). */
export interface IngressEnv {
  Variables: {
    /** When the request was taken up (before its body was read), Unix ns. */
    receivedNs: bigint;
    body: Body;
    /** Set by the signature check, passed or not. */
    signature: SignatureVerdict;
    /** The inspector page's record of this delivery, once it was decoded (when the page is on). */
    inspection: Inspection;
  };
}

/**
 * The Node request behind Hono's when @hono/node-server serves the app (`c.env.incoming`), or
 * undefined when the app is called with a fetch Request alone (`app.request()` in tests).
 * Served by Node, headers and body are read from it: building the fetch Request instead costs a
 * fifth of a small delivery's CPU (see read-body.ts).
 */
export function nodeRequest(c: Context): IncomingMessage | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming;
}

/** Looks up a request header by its lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

export function headerReader(c: Context): HeaderReader {
  const incoming = nodeRequest(c);
  if (incoming) {
    const headers = incoming.headers;
    return (name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    };
  }
  const headers = c.req.raw.headers;
  return (name) => headers.get(name) ?? undefined;
}

/** The request body and the headers that say how to read it. */
export function bodySource(c: Context): { stream: BodyStream; headers: BodyHeaders } {
  const incoming = nodeRequest(c);
  if (incoming) return { stream: incoming, headers: incoming.headers };
  const req = c.req.raw;
  const web = req.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
  return {
    stream: Readable.fromWeb(web as NodeWebStream<Uint8Array>),
    headers: { 'content-length': req.headers.get('content-length') ?? undefined, 'content-encoding': req.headers.get('content-encoding') ?? undefined },
  };
}

/** Who sent a request, for a log line: every value but the socket's address is the sender's say. */
export function origin(c: Context, header: HeaderReader = headerReader(c)): Record<string, string | undefined> {
  return {
    peer: nodeRequest(c)?.socket.remoteAddress,
    forwardedFor: untrusted(header('x-forwarded-for')),
    userAgent: untrusted(header('user-agent')),
  };
}
