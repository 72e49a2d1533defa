import { Hono } from 'hono';
import type { Logger } from '../log/logger.js';
import { problem } from './problem.js';

export interface HttpAppOptions {
  /** What /readyz says: 200 while `ready`, 503 otherwise, with `detail` in the body. */
  readiness: () => { ready: boolean; detail: Record<string, unknown> };
  /** The bridge's own metrics in Prometheus text format, for GET /metrics. */
  metricsText: () => Promise<string>;
  /** Sub-apps answering under their own paths: the webhook route, the inspector page. */
  mounts: readonly Hono[];
  log: Logger;
}

/**
 * The bridge's one HTTP port: health probes and /metrics, whatever the sources and pages mount
 * on it (the webhook route, /inspect), and JSON errors for everything else.
 */
export function createHttpApp(options: HttpAppOptions): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const { ready, detail } = options.readiness();
    return c.json({ status: ready ? 'ready' : 'not ready', ...detail }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.body(await options.metricsText(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
  for (const mount of options.mounts) app.route('/', mount);
  app.notFound((c) => problem(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    options.log.error('request failed', { error: err.message });
    return problem(c, 500, 'internal_error', 'the bridge could not handle this request');
  });
  return app;
}
