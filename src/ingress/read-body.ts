import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

export type BodyErrorCode = 'body_too_large' | 'bad_gzip' | 'unsupported_encoding' | 'body_read_failed';

export class BodyError extends Error {
  override name = 'BodyError';
  constructor(
    readonly code: BodyErrorCode,
    readonly status: 400 | 413 | 415,
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
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    throw new BodyError('body_too_large', 413, `body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  }
  if (!request.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    let result: Awaited<ReturnType<typeof reader.read>>;
    try {
      result = await reader.read();
    } catch (err) {
      throw new BodyError('body_read_failed', 400, `could not read the body: ${(err as Error).message}`);
    }
    if (result.done) break;
    total += result.value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyError('body_too_large', 413, `body exceeds the limit of ${limit} bytes`);
    }
    chunks.push(result.value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/**
 * Reads the request body within `limit` bytes, undoing `Content-Encoding: gzip`; the limit
 * applies again after decompression so a small gzip bomb cannot expand past it.
 */
export async function readBody(request: Request, limit: number): Promise<Body> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new BodyError('unsupported_encoding', 415, `Content-Encoding "${encoding}" is not supported; send identity or gzip`);
  }
  const wire = await readLimited(request, limit);
  if (encoding === 'identity') return { wire, decoded: wire };
  try {
    const decoded = await gunzipAsync(wire, { maxOutputLength: limit });
    return { wire, decoded };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new BodyError('body_too_large', 413, `body exceeds the limit of ${limit} bytes once decompressed`);
    }
    throw new BodyError('bad_gzip', 400, `body is not valid gzip: ${e.message}`);
  }
}
