import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { BodyBudget } from './body-budget.js';

const gunzipAsync = promisify(gunzip);

export type BodyErrorCode = 'body_too_large' | 'bad_gzip' | 'unsupported_encoding' | 'body_read_failed' | 'server_busy';

export class BodyError extends Error {
  override name = 'BodyError';
  constructor(
    readonly code: BodyErrorCode,
    readonly status: 400 | 413 | 415 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface Body {
  /** The bytes as they arrived on the wire. */
  wire: Uint8Array;
  /** The bytes after Content-Encoding was undone (the same array when there was none). */
  decoded: Uint8Array;
  /** Bytes taken from the body budget for this body; give them back once the request is done. */
  held: number;
}

/** A request body as it arrives: Node's `IncomingMessage`, or any readable stream of bytes. */
export type BodyStream = Readable & {
  /** Node's request sets it once the whole body was parsed; a close before then is a client gone away. */
  readonly complete?: boolean;
};

/** The request headers the body is read by (Node's header object fits as it is). */
export interface BodyHeaders {
  'content-length'?: string | undefined;
  'content-encoding'?: string | undefined;
}

const busy = (): BodyError => new BodyError('server_busy', 503, 'too many request bodies are being received at once; retry shortly');

/**
 * Reads straight from the stream it is given: served by Node, the request itself. Going through
 * the fetch API's Request body (a web ReadableStream over the same stream, plus an
 * AbortController and an undici Request built per request) cost a fifth of the CPU of a
 * single-event delivery; see BENCHMARKS.md.
 */
function readLimited(incoming: BodyStream, headers: BodyHeaders, limit: number, budget: BodyBudget | undefined): Promise<Uint8Array> {
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new BodyError('body_too_large', 413, `body of ${declared} bytes exceeds the limit of ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const fail = (err: BodyError): void => {
      done();
      budget?.give(total);
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      if (budget && !budget.take(chunk.byteLength)) {
        // Read no further; the server drains or drops the rest once the answer is sent.
        incoming.pause();
        fail(busy());
        return;
      }
      total += chunk.byteLength;
      chunks.push(chunk);
      if (total > limit) {
        incoming.pause();
        fail(new BodyError('body_too_large', 413, `body exceeds the limit of ${limit} bytes`));
      }
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (err: Error): void => fail(new BodyError('body_read_failed', 400, `could not read the body: ${err.message}`));
    const onClose = (): void => {
      if (incoming.complete) return;
      fail(new BodyError('body_read_failed', 400, 'could not read the body: the connection closed before it was complete'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/**
 * Reads the request body within `limit` bytes, undoing `Content-Encoding: gzip`; the limit
 * applies again after decompression so a small gzip bomb cannot expand past it.
 */
export async function readBody(incoming: BodyStream, headers: BodyHeaders, limit: number, budget?: BodyBudget): Promise<Body> {
  const encoding = (headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new BodyError('unsupported_encoding', 415, `Content-Encoding "${encoding}" is not supported; send identity or gzip`);
  }
  const wire = await readLimited(incoming, headers, limit, budget);
  if (encoding === 'identity') return { wire, decoded: wire, held: budget ? wire.byteLength : 0 };
  try {
    const decoded = await gunzipAsync(wire, { maxOutputLength: limit });
    if (budget && !budget.take(decoded.byteLength)) {
      budget.give(wire.byteLength);
      throw busy();
    }
    return { wire, decoded, held: budget ? wire.byteLength + decoded.byteLength : 0 };
  } catch (err) {
    if (err instanceof BodyError) throw err;
    budget?.give(wire.byteLength);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new BodyError('body_too_large', 413, `body exceeds the limit of ${limit} bytes once decompressed`);
    }
    throw new BodyError('bad_gzip', 400, `body is not valid gzip: ${e.message}`);
  }
}
