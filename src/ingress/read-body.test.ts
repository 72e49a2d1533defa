import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyError, readBody } from './read-body.js';

const LIMIT = 1024;

/** A real server that answers with what readBody made of the request. */
let server: Server;
let port: number;
const outcomes: Array<{ ok: true; text: string; sameArray: boolean } | { ok: false; code: string; status: number }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    readBody(req, req.headers, LIMIT).then(
      (body) => {
        const text = Buffer.from(body.decoded).toString('utf8');
        outcomes.push({ ok: true, text, sameArray: body.wire === body.decoded });
        res.writeHead(200).end(text);
      },
      (err: unknown) => {
        if (!(err instanceof BodyError)) throw err;
        outcomes.push({ ok: false, code: err.code, status: err.status });
        if (!res.destroyed) res.writeHead(err.status).end(err.code);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Sends `chunks` with chunked transfer encoding (no Content-Length), pausing between them. */
function send(chunks: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    let i = 0;
    const next = (): void => {
      if (i === chunks.length) {
        req.end();
        return;
      }
      req.write(chunks[i++]);
      setTimeout(next, 2);
    };
    next();
  });
}

describe('readBody', () => {
  it('joins a body that arrives in several chunks', async () => {
    const res = await send([Buffer.from('{"topic":'), Buffer.from('"ping",'), Buffer.from('"events":[]}')]);
    expect(res).toEqual({ status: 200, text: '{"topic":"ping","events":[]}' });
    expect(outcomes.at(-1)).toMatchObject({ ok: true, sameArray: true });
  });

  it('refuses a chunked body past the limit with 413 although no Content-Length announced it', async () => {
    const res = await send([Buffer.alloc(600, 0x20), Buffer.alloc(600, 0x20), Buffer.alloc(600, 0x20)]);
    expect(res.status).toBe(413);
    expect(outcomes.at(-1)).toEqual({ ok: false, code: 'body_too_large', status: 413 });
  });

  it('refuses an announced Content-Length past the limit before reading it', async () => {
    const res = await send([Buffer.alloc(2000, 0x20)], { 'content-length': '2000' });
    expect(res.status).toBe(413);
    expect(outcomes.at(-1)).toEqual({ ok: false, code: 'body_too_large', status: 413 });
  });

  it('undoes gzip, and applies the limit again to what it expands to', async () => {
    const small = await send([gzipSync('{"topic":"ping","events":[]}')], { 'content-encoding': 'gzip' });
    expect(small).toEqual({ status: 200, text: '{"topic":"ping","events":[]}' });
    expect(outcomes.at(-1)).toMatchObject({ ok: true, sameArray: false });
    const bomb = await send([gzipSync(Buffer.alloc(100_000, 0x20))], { 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
  });

  it('reports a client that goes away mid-body as a failed read', async () => {
    const before = outcomes.length;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(100, 0x20));
      setTimeout(() => req.destroy(), 20);
    });
    await expect.poll(() => outcomes.length).toBe(before + 1);
    expect(outcomes.at(-1)).toEqual({ ok: false, code: 'body_read_failed', status: 400 });
  });
});
