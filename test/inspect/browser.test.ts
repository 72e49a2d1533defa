import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMappings } from '../../src/mapping/loader.js';
import { postDelivery } from '../support/mist-client.js';
import { hasChromium, launchChromium, SKIP_REASON } from './chromium.js';
import { startStandIn, WEBHOOK_PATH, type StandIn } from './stand-in.js';

/**
 * The inspector page in a real browser (Debian's Chromium), against a real HTTP server that
 * mounts the inspector's sub-app and feeds it as the bridge will (./stand-in.ts).
 */

const TOKEN = 'inspect-test-token-0123456789';
// A rotation: the old secret is still accepted, deliveries are signed with the new one.
const SECRETS = ['old-secret-c41f', 'new-secret-9e2a'];
const SIGNING_SECRET = SECRETS[1]!;

const ORG = '0b1e2c3d-0000-4000-8000-00000000a001';
const SITE = '5a17e000-0000-4000-8000-00000000b002';

function apDown(apName: string) {
  return {
    topic: 'device-updowns',
    events: [{ org_id: ORG, site_id: SITE, site_name: 'Lab', ap: '5c5b35000010', ap_name: apName, type: 'AP_DISCONNECTED', timestamp: 1750003000 }],
  };
}

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';

// The page's globals, as far as the callbacks run in it use them (the project compiles without the DOM library).
interface PageNode {
  textContent: string | null;
  className: string;
  dataset: Record<string, string | undefined>;
  open: boolean;
  options: ArrayLike<PageNode>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
}
declare const document: {
  cookie: string;
  body: PageNode;
  scripts: ArrayLike<PageNode>;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
  getElementById(id: string): PageNode;
};
declare const EventSource: new (url: string) => { readyState: number; onopen: (() => void) | null; onerror: (() => void) | null };

if (!hasChromium) console.warn(`test/inspect/browser.test.ts: ${SKIP_REASON}`);

describe.skipIf(!hasChromium)(hasChromium ? 'the inspector page in Chromium' : `the inspector page in Chromium (${SKIP_REASON})`, () => {
  let browser: Browser;
  const running: StandIn[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await Promise.all(running.splice(0).map((s) => s.stop()));
  });

  async function standIn(options: Partial<Parameters<typeof startStandIn>[0]> = {}): Promise<StandIn> {
    const s = await startStandIn({ token: TOKEN, secrets: SECRETS, ...options });
    running.push(s);
    return s;
  }

  /** A page that records every dialog and every error the browser reports (CSP and Trusted Types violations included). */
  async function openPage(): Promise<{ context: BrowserContext; page: Page; dialogs: string[]; errors: string[] }> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const dialogs: string[] = [];
    const errors: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    return { context, page, dialogs, errors };
  }

  async function openInspector(s: StandIn, page: Page): Promise<void> {
    const response = await page.goto(`${s.url}/inspect?token=${TOKEN}`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('#status.live', { timeout: 5_000 });
  }

  it('shows a good and a wrongly signed delivery within a second, with their verdicts and what the good one became', async () => {
    const s = await standIn();
    const { context, page, errors } = await openPage();
    await openInspector(s, page);

    // The token went into an HttpOnly cookie scoped to the page; the address bar and history never kept it.
    expect(page.url()).toBe(`${s.url}/inspect`);
    const cdp = await context.newCDPSession(page);
    const history = (await cdp.send('Page.getNavigationHistory')) as { entries: { url: string }[] };
    expect(history.entries.map((e) => e.url)).toContain(`${s.url}/inspect`);
    expect(history.entries.map((e) => e.url).join(' ')).not.toContain(TOKEN);
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'mist_bridge_inspect', path: '/inspect', httpOnly: true, sameSite: 'Strict' })]);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    const good = apDown('ap-lab-1');
    const started = Date.now();
    const [accepted, refused] = await Promise.all([
      postDelivery(s.url + WEBHOOK_PATH, good, { secret: SIGNING_SECRET }),
      postDelivery(s.url + WEBHOOK_PATH, apDown('ap-lab-2'), { secret: 'not-the-secret' }),
    ]);
    expect([accepted.status, refused.status]).toEqual([200, 401]);
    await page.waitForFunction(() => document.querySelectorAll('#entries > li.entry').length === 2, null, { timeout: 1_000 });
    expect(Date.now() - started).toBeLessThan(1_000);

    const goodEntry = page.locator('li.entry.verdict-good');
    await expect(goodEntry.locator('.badge.verdict').textContent()).resolves.toBe('signature good · secret #2');
    await expect(goodEntry.locator('.topic').textContent()).resolves.toBe('device-updowns');
    await expect(goodEntry.locator('.badge.status').textContent()).resolves.toBe('HTTP 200');
    await expect(goodEntry.locator('.sender').textContent()).resolves.toBe('from 127.0.0.1');

    // What the event became, as the bridge's mapping engine makes it.
    const became = loadMappings().engine.map('webhook', 'device-updowns', good.events[0], 0n);
    expect(became.logs.map((l) => [l.severityText, l.body])).toEqual([['WARN', 'AP_DISCONNECTED: ap-lab-1']]);
    const logs = await goodEntry.locator('.rec.log').allTextContents();
    expect(logs).toEqual(['logWARNAP_DISCONNECTED: ap-lab-1']);
    const metrics = await goodEntry.locator('.rec.metric').allTextContents();
    expect(metrics).toHaveLength(became.metrics.length);
    for (const m of became.metrics) expect(metrics.some((text) => text.startsWith(`metric${m.name}= ${m.value}`))).toBe(true);
    expect(metrics).toContainEqual(expect.stringContaining('mist.device.up= 0'));
    expect(metrics.join('\n')).toContain('mist.device_name=ap-lab-1');

    const wrongEntry = page.locator('li.entry.verdict-wrong');
    await expect(wrongEntry.locator('.badge.verdict').textContent()).resolves.toBe('signature wrong');
    await expect(wrongEntry.locator('.badge.status').textContent()).resolves.toBe('HTTP 401');
    await expect(wrongEntry.locator('.why').textContent()).resolves.toContain('refused: signature_invalid');
    expect(await wrongEntry.locator('.rec').count()).toBe(0);

    // Newest first: the two arrived together, so only their order by id is known.
    const order = await page.$$eval('#entries > li.entry', (nodes) => nodes.map((n) => (n as unknown as PageNode).dataset.key));
    expect(order).toEqual([...order].sort().reverse());

    // The raw body one click away; a refused one as the text that came.
    await wrongEntry.locator('details.raw > summary').click();
    // The body is drawn when the <details> opens (its toggle event).
    await expect.poll(() => wrongEntry.locator('pre.body').textContent()).toBe(JSON.stringify(apDown('ap-lab-2')));
    await goodEntry.locator('details.raw > summary').click();
    await expect.poll(() => goodEntry.locator('pre.body').textContent()).toBe(JSON.stringify(good, null, 2));

    // Filters and counter.
    await page.selectOption('#verdict-filter', 'good');
    expect(await page.locator('#entries > li.entry:visible').count()).toBe(1);
    await expect(page.locator('#counts').textContent()).resolves.toBe('1 shown · 1 hidden by filters · 0 dropped from view');
    await page.selectOption('#verdict-filter', '');

    // A stream message: another source, no signature, no HTTP status.
    const channel = `/sites/${SITE}/stats/devices`;
    s.streamMessage(channel, { mac: '5c5b35000010', name: 'ap-lobby-2', type: 'ap', num_clients: 14 });
    const streamed = page.locator('li.entry.verdict-none');
    await streamed.waitFor({ timeout: 1_000 });
    await expect(streamed.locator('.badge.source').textContent()).resolves.toBe('stream');
    await expect(streamed.locator('.badge.verdict').textContent()).resolves.toBe('no signature (stream)');
    await expect(streamed.locator('.sender').textContent()).resolves.toBe('from api-ws.mist.com');
    expect(await streamed.locator('.badge.status').count()).toBe(0);
    await page.selectOption('#topic-filter', channel);
    expect(await page.locator('#entries > li.entry:visible').count()).toBe(1);
    await page.selectOption('#topic-filter', 'device-updowns');
    expect(await page.locator('#entries > li.entry:visible').count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it('keeps injected markup as text: no dialog, no injected element, in topics, fields and bodies', async () => {
    const s = await standIn();
    const { page, dialogs, errors } = await openPage();
    await openInspector(s, page);

    const injected = {
      topic: SCRIPT,
      events: [{ type: SCRIPT, text: IMG, mac: IMG, org_id: ORG, site_id: SITE, timestamp: 1750003000 }],
    };
    const fields = apDown(IMG);
    fields.events[0]!.type = `AP_DISCONNECTED${SCRIPT}`;
    const hostile = { topic: IMG, events: [{ text: SCRIPT }] };
    await postDelivery(s.url + WEBHOOK_PATH, injected, { secret: SIGNING_SECRET });
    await postDelivery(s.url + WEBHOOK_PATH, fields, { secret: SIGNING_SECRET });
    await postDelivery(s.url + WEBHOOK_PATH, hostile, { secret: 'wrong' });
    await postDelivery(s.url + WEBHOOK_PATH, `${SCRIPT}${IMG}`, { secret: SIGNING_SECRET });
    await page.waitForFunction(() => document.querySelectorAll('#entries > li.entry').length === 4, null, { timeout: 2_000 });
    // Every raw body rendered too.
    await page.$$eval('details', (all) => all.forEach((d) => ((d as unknown as PageNode).open = true)));
    await page.waitForTimeout(300);

    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
    const dom = await page.evaluate(() => ({
      scripts: Array.from(document.scripts).map((s) => s.getAttribute('src')),
      images: document.querySelectorAll('img').length,
      handlers: document.querySelectorAll('[onerror]').length,
      topics: Array.from(document.querySelectorAll('#entries .topic')).map((n) => n.textContent),
      options: Array.from(document.getElementById('topic-filter').options).map((o) => o.textContent),
      bodies: Array.from(document.querySelectorAll('pre.body')).map((n) => n.textContent),
      records: Array.from(document.querySelectorAll('.rec')).map((n) => n.textContent),
      why: Array.from(document.querySelectorAll('.why')).map((n) => n.textContent),
    }));
    expect(dom.scripts).toEqual(['/inspect/page.js']);
    expect(dom.images).toBe(0);
    expect(dom.handlers).toBe(0);
    // Newest first: the body that is not an envelope, the wrongly signed one, then the two accepted.
    expect(dom.topics).toEqual(['(topic not read)', '(topic not read)', 'device-updowns', SCRIPT]);
    expect(dom.options).toEqual(expect.arrayContaining([SCRIPT]));
    expect(dom.bodies).toContain(`${SCRIPT}${IMG}`);
    expect(dom.bodies).toContain(JSON.stringify(hostile));
    expect(dom.bodies.some((b) => b?.includes(`"topic": "${SCRIPT}"`))).toBe(true);
    expect(dom.records.some((r) => r?.includes(IMG))).toBe(true);
    expect(dom.records.some((r) => r?.includes(`mist.event_type=AP_DISCONNECTED${SCRIPT}`))).toBe(true);
    expect(dom.why).toEqual([expect.stringContaining('invalid_json'), expect.stringContaining('signature_invalid')]);
    const labels = await page.locator('.event .label').allTextContents();
    expect(labels).toContain(`#1  ${SCRIPT} · ${IMG}`);
  });

  it('holds what arrives while paused, and counts what the last N pushed out of view', async () => {
    const s = await standIn({ maxEntries: 2 });
    const { page, errors } = await openPage();
    await openInspector(s, page);
    for (const name of ['ap-1', 'ap-2', 'ap-3']) await postDelivery(s.url + WEBHOOK_PATH, apDown(name), { secret: SIGNING_SECRET });
    await expect.poll(() => page.locator('#counts').textContent()).toBe('2 shown · 1 dropped from view');

    await page.click('#pause');
    await expect(page.locator('#pause').getAttribute('aria-pressed')).resolves.toBe('true');
    await postDelivery(s.url + WEBHOOK_PATH, apDown('ap-4'), { secret: SIGNING_SECRET });
    await expect.poll(() => page.locator('#pause').textContent()).toBe('Resume (1 new)');
    expect(await page.locator('.rec.log .text').allTextContents()).toEqual(['AP_DISCONNECTED: ap-3', 'AP_DISCONNECTED: ap-2']);

    await page.click('#pause');
    await expect(page.locator('#pause').textContent()).resolves.toBe('Pause');
    expect(await page.locator('.rec.log .text').allTextContents()).toEqual(['AP_DISCONNECTED: ap-4', 'AP_DISCONNECTED: ap-3']);
    await expect(page.locator('#counts').textContent()).resolves.toBe('2 shown · 2 dropped from view');
    expect(errors).toEqual([]);
  });

  it('answers 401 to the page and its event stream without the token, and to a wrong one', async () => {
    const s = await standIn();
    const { context, page } = await openPage();

    const bare = await page.goto(`${s.url}/inspect`);
    expect(bare?.status()).toBe(401);
    expect(await page.evaluate(() => document.body.textContent)).toBe('401 Unauthorized\n');
    expect(await page.evaluate(async () => (await fetch('/inspect/events')).status)).toBe(401);
    expect(await page.evaluate(async () => (await fetch('/inspect/page.js')).status)).toBe(401);
    // EventSource gives up on a 401 (CLOSED) instead of streaming.
    const state = await page.evaluate(
      () =>
        new Promise<number | string>((resolve) => {
          const source = new EventSource('/inspect/events');
          source.onopen = () => resolve('open');
          source.onerror = () => resolve(source.readyState);
        }),
    );
    expect(state).toBe(2);

    const wrong = await page.goto(`${s.url}/inspect?token=${'x'.repeat(TOKEN.length)}`);
    expect(wrong?.status()).toBe(401);
    expect(await context.cookies()).toEqual([]);
  });

  it('reconnects after the server restarts on the same port and shows what arrives after', async () => {
    const first = await standIn();
    const { page, errors } = await openPage();
    await openInspector(first, page);
    await postDelivery(first.url + WEBHOOK_PATH, apDown('before-restart'), { secret: SIGNING_SECRET });
    await page.waitForSelector('li.entry', { timeout: 1_000 });

    await first.stop();
    running.splice(running.indexOf(first), 1);
    await page.waitForSelector('#status.reconnecting', { timeout: 5_000 });

    const second = await standIn({ port: first.port });
    await page.waitForSelector('#status.live', { timeout: 10_000 });
    const started = Date.now();
    await postDelivery(second.url + WEBHOOK_PATH, apDown('after-restart'), { secret: SIGNING_SECRET });
    await page.waitForFunction(() => document.querySelectorAll('#entries > li.entry').length === 2, null, { timeout: 1_000 });
    expect(Date.now() - started).toBeLessThan(1_000);

    const rows = await page.$$eval('#entries > li', (nodes) => nodes.map((n) => n.className + ' ' + (n.querySelector('.rec.log .text')?.textContent ?? n.textContent)));
    expect(rows).toEqual([
      'entry verdict-good AP_DISCONNECTED: after-restart',
      expect.stringMatching(/^divider the bridge restarted · \d\d:\d\d:\d\d\.\d{3}$/),
      'entry verdict-good AP_DISCONNECTED: before-restart',
    ]);
    // The EventSource's failed reconnection attempts are the only errors the browser reports.
    expect(errors.filter((e) => !e.includes('ERR_CONNECTION_REFUSED'))).toEqual([]);
  });

  it('says so when a restarted bridge generated a new token, and resumes with the URL it printed', async () => {
    const first = await standIn({ token: null });
    const { page } = await openPage();
    const url = /(http:\/\/\S+\?token=\S+)/.exec(first.startLine)![1]!;
    await page.goto(url);
    await page.waitForSelector('#status.live', { timeout: 5_000 });

    await first.stop();
    running.splice(running.indexOf(first), 1);
    const second = await standIn({ token: null, port: first.port });
    const nextUrl = /(http:\/\/\S+\?token=\S+)/.exec(second.startLine)![1]!;
    expect(nextUrl).not.toBe(url);
    await page.waitForSelector('#status.denied', { timeout: 10_000 });
    await expect(page.locator('#status').textContent()).resolves.toContain('open the URL it printed');

    await page.goto(nextUrl);
    await page.waitForSelector('#status.live', { timeout: 5_000 });
    await postDelivery(second.url + WEBHOOK_PATH, apDown('new-token'), { secret: SIGNING_SECRET });
    await page.waitForSelector('li.entry', { timeout: 1_000 });
  });
});
