import { createMiddleware } from 'hono/factory';
import { problem } from '../../http/problem.js';
import type { Logger } from '../../log/logger.js';
import { untrusted } from '../../log/untrusted.js';
import type { BodyBudget } from './body-budget.js';
import { type Body, BodyError, readBody } from './read-body.js';
import { bodySource, type IngressEnv, origin } from './request.js';

export interface BodyLimitOptions {
  /** Largest body, counted again after gzip is undone. */
  maxBodyBytes: number;
  /** Body bytes all requests may hold at once; unbounded when absent. */
  budget?: BodyBudget;
  log: Logger;
}

/**
 * Reads the whole body within `maxBodyBytes` and within the budget shared by every request, and
 * hands it on as `c.get('body')` (the bytes as sent and, when gzipped, as decompressed). Hono's own
 * `bodyLimit` counts a fetch Request's stream as it is read; this one reads Node's request
 * directly when there is one (see request.ts), undoes gzip under the same limit, and gives the
 * budget back once the rest of the chain has answered.
 */
export function bodyLimit(options: BodyLimitOptions) {
  const { maxBodyBytes, budget, log } = options;
  return createMiddleware<IngressEnv>(async (c, next) => {
    let body: Body;
    try {
      const { stream, headers } = bodySource(c);
      body = await readBody(stream, headers, maxBodyBytes, budget);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      log.warn(err.status === 503 ? 'delivery refused: busy' : 'delivery refused: body', {
        status: err.status,
        error: err.code,
        detail: untrusted(err.message),
        ...origin(c),
      });
      if (err.status === 503) c.header('Retry-After', '1');
      return problem(c, err.status, err.code, err.message);
    }
    c.set('body', body);
    try {
      await next();
    } finally {
      if (body.held > 0) budget?.give(body.held);
    }
  });
}
