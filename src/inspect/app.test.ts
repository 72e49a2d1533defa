import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createInspectApp, TOKEN_COOKIE } from './app.js';
import { InspectFeed } from './feed.js';

const TOKEN = 'app-test-token-abcdefghij';
const COOKIE = `${TOKEN_COOKIE}=${TOKEN}`;

/** The sub-app mounted as the bridge mounts it, beside a route of the bridge's own. */
function mounted(feed = new InspectFeed({ maxEntries: 10, maxBodyBytes: 1024 })) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.route('/', createInspectApp({ feed, token: TOKEN }));
  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  return { app, feed };
}

const PATHS = ['/inspect', '/inspect/events', '/inspect/page.js', '/inspect/page.css', '/inspect/icon.svg'];

describe('the inspector sub-app', () => {
  it('answers 401 and nothing else without the token, with a wrong one, and with one that differs only in length', async () => {
    const { app } = mounted();
    const attempts: [string, RequestInit][] = [];
    for (const path of PATHS) {
      attempts.push([path, {}]);
      attempts.push([path, { headers: { authorization: `Bearer ${TOKEN}x` } }]);
      attempts.push([path, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } }]);
      attempts.push([path, { headers: { authorization: `Basic ${TOKEN}` } }]);
      attempts.push([path, { headers: { cookie: `${TOKEN_COOKIE}=wrong` } }]);
      attempts.push([path, { headers: { cookie: `other=${TOKEN}` } }]);
      attempts.push([`${path}?token=${TOKEN.toUpperCase()}`, {}]);
    }
    for (const [url, init] of attempts) {
      const res = await app.request(url, init);
      expect(res.status, url).toBe(401);
      expect(await res.text(), url).toBe('401 Unauthorized\n');
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mist-otel-bridge inspector"');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    // The bridge's own routes are not behind the token.
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('moves ?token= into an HttpOnly, SameSite=Strict cookie scoped to /inspect and redirects to the bare URL', async () => {
    const { app } = mounted();
    const res = await app.request(`/inspect?token=${TOKEN}&x=1`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/inspect');
    expect(res.headers.get('set-cookie')).toBe(`${COOKIE}; Path=/inspect; HttpOnly; SameSite=Strict`);
    expect(await res.text()).toBe('');

    // Marked Secure when the page is reached over HTTPS (directly or through a proxy).
    const proxied = await app.request(`/inspect?token=${TOKEN}`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(proxied.headers.get('set-cookie')).toBe(`${COOKIE}; Path=/inspect; HttpOnly; Secure; SameSite=Strict`);
    const direct = await app.request(`https://bridge.example/inspect?token=${TOKEN}`);
    expect(direct.headers.get('set-cookie')).toContain('; Secure;');
  });

  it('accepts the cookie or a bearer token on every path of the page', async () => {
    const { app } = mounted();
    for (const headers of [{ cookie: COOKIE }, { cookie: `a=b; ${COOKIE}; c=d` }, { authorization: `Bearer ${TOKEN}` }]) {
      for (const path of PATHS.filter((p) => p !== '/inspect/events')) {
        const res = await app.request(path, { headers });
        expect(res.status, path).toBe(200);
      }
    }
    const page = await app.request('/inspect', { headers: { cookie: COOKIE } });
    expect(page.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    const script = await app.request('/inspect/page.js', { headers: { cookie: COOKIE } });
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // ?token= opens the page only; elsewhere it would stay in a URL.
    for (const path of PATHS.filter((p) => p !== '/inspect')) {
      expect((await app.request(`${path}?token=${TOKEN}`)).status, path).toBe(401);
    }
  });

  it('marks every response no-store and sends the strict CSP, 401s and redirects included', async () => {
    const { app } = mounted();
    const responses = [
      await app.request('/inspect'),
      await app.request('/inspect/events'),
      await app.request(`/inspect?token=${TOKEN}`),
      await app.request('/inspect/nothing-here', { headers: { cookie: COOKIE } }),
      ...(await Promise.all(PATHS.filter((p) => p !== '/inspect/events').map((p) => app.request(p, { headers: { cookie: COOKIE } })))),
    ];
    const stream = await app.request('/inspect/events', { headers: { cookie: COOKIE } });
    responses.push(stream);
    expect(responses.map((r) => r.status)).toEqual([401, 401, 303, 404, 200, 200, 200, 200, 200]);
    for (const res of responses) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      const csp = res.headers.get('content-security-policy')!;
      const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
      expect(directives).toEqual({
        'default-src': "'none'",
        'script-src': "'self'",
        'style-src': "'self'",
        'img-src': "'self'",
        'connect-src': "'self'",
        'base-uri': "'none'",
        'form-action': "'none'",
        'frame-ancestors': "'none'",
        'require-trusted-types-for': "'script'",
        'trusted-types': "'none'",
      });
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
    await stream.body!.cancel();
  });

  it('serves a page with no inline script or style and nothing from elsewhere', async () => {
    const { app } = mounted();
    const html = await (await app.request('/inspect', { headers: { cookie: COOKIE } })).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => [m[1], m[2]])).toEqual([[' src="/inspect/page.js" defer', '']]);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/i);
    const urls = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(urls).toEqual(['/inspect/icon.svg', '/inspect/page.css', '/inspect/page.js']);
  });

  it('streams the feed: a greeting, then every entry in order, then what arrives', async () => {
    const feed = new InspectFeed({ maxEntries: 10, maxBodyBytes: 1024 });
    const { app } = mounted(feed);
    feed.refused({ source: 'webhook', sender: '192.0.2.1' }, 401, 'signature_missing');
    const res = await app.request('/inspect/events', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    // Its socket is not kept alive after it: a stopping bridge need not wait for it to idle out.
    expect(res.headers.get('connection')).toBe('close');
    const read = reader(res);
    expect(await read()).toBe('retry: 1000\n');
    expect(await read()).toBe(`event: hello\ndata: {"instance":"${feed.instance}","maxEntries":10,"dropped":0}\n\n`);
    expect(await read()).toMatch(new RegExp(`^id: ${feed.instance}:1\nevent: entry\ndata: \\{"id":1,.*"refused":"signature_missing".*\\}\n\n$`));
    const pending = read();
    const inspection = feed.begin({ source: 'stream', topic: '/sites/s/stats/devices', events: 1 });
    inspection.finish();
    expect(await pending).toMatch(new RegExp(`^id: ${feed.instance}:2\nevent: entry\ndata: \\{"id":2,.*"topic":"/sites/s/stats/devices"`));
    // The bridge stopping ends the stream, so that its HTTP server can close.
    const end = read();
    feed.close();
    expect(await end).toBeUndefined();
  });
});

function reader(res: Response): () => Promise<string | undefined> {
  const r = res.body!.getReader();
  const decoder = new TextDecoder();
  return async () => {
    const { value, done } = await r.read();
    return done ? undefined : decoder.decode(value);
  };
}
