import { createHash, timingSafeEqual } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { PAGE_ICON, PAGE_SCRIPT, PAGE_STYLE } from './assets.js';
import { eventStream } from './events.js';
import type { InspectFeed } from './feed.js';
import { pageHtml } from './page.js';

export const INSPECT_PATH = '/inspect';
export const TOKEN_COOKIE = 'mist_bridge_inspect';

export interface InspectAppOptions {
  feed: InspectFeed;
  token: string;
  /** Where the page lives; the cookie is scoped to it. */
  path?: string;
}

/** Compares in constant time: both sides are hashed first, so not even the length shows. */
function tokenMatcher(token: string): (candidate: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (candidate) => candidate !== undefined && timingSafeEqual(createHash('sha256').update(candidate).digest(), expected);
}

function bearer(c: Context): string | undefined {
  const header = c.req.header('authorization');
  const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

// Everything the page loads comes from this sub-app; nothing inline, nothing from elsewhere.
// Trusted Types with no policy: a string can never reach innerHTML or another HTML sink.
const CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
  requireTrustedTypesFor: ["'script'"],
  trustedTypes: ["'none'"],
};

/**
 * GET /inspect (the page), /inspect/events (its live feed) and the page's script, style and
 * icon. The bridge mounts it with `app.route('/', createInspectApp(...))`, only when the
 * inspector is on. Every response, 401s included, is `no-store` and carries the CSP.
 */
export function createInspectApp(options: InspectAppOptions): Hono {
  const path = options.path ?? INSPECT_PATH;
  const { feed } = options;
  const matches = tokenMatcher(options.token);
  const app = new Hono().basePath(path);

  const noStore: MiddlewareHandler = async (c, next) => {
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
  };
  const authorized: MiddlewareHandler = async (c, next) => {
    // ?token= opens the page only: it is moved at once where only this page's requests carry it,
    // out of the address bar, history and Referer. Elsewhere a URL would keep it.
    const query = c.req.path === path && (c.req.method === 'GET' || c.req.method === 'HEAD') ? c.req.query('token') : undefined;
    if (query !== undefined) {
      if (!matches(query)) return unauthorized(c);
      setCookie(c, TOKEN_COOKIE, options.token, { path, httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
      return c.redirect(path, 303);
    }
    if (matches(bearer(c)) || matches(getCookie(c, TOKEN_COOKIE))) return next();
    return unauthorized(c);
  };

  app.use(
    '*',
    noStore,
    secureHeaders({
      contentSecurityPolicy: CSP,
      xFrameOptions: 'DENY',
      // Whether the port is reached over HTTPS is the proxy's business, not this page's.
      strictTransportSecurity: false,
    }),
    authorized,
  );

  app.get('/', (c) => c.html(pageHtml({ path, maxEntries: feed.maxEntries })));
  app.get('/events', (c) =>
    c.body(eventStream(feed, c.req.header('last-event-id')), 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      // nginx would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
      // When the stream ends (the bridge stops) its socket closes too, rather than idling on
      // keep-alive while the server waits for it to go.
      Connection: 'close',
    }),
  );
  app.get('/page.js', (c) => c.body(PAGE_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/page.css', (c) => c.body(PAGE_STYLE, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get('/icon.svg', (c) => c.body(PAGE_ICON, 200, { 'Content-Type': 'image/svg+xml' }));
  return app;
}

function unauthorized(c: Context): Response {
  c.header('WWW-Authenticate', 'Bearer realm="mist-otel-bridge inspector"');
  return c.text('401 Unauthorized\n', 401);
}
