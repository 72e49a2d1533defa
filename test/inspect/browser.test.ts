/**
 * The inspector page in a real browser (Debian's Chromium through playwright-core) against the
 * real bridge process (src/main.ts with MIST_BRIDGE_INSPECT=true), exporting to a local OTLP
 * receiver: what a user who turns the page on sees.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { useReceiver } from '../support/use-receiver.js';
import { entriesShown, openInspector, type PageDocument, type PageNode, useChromium } from './browser.js';
import { hasChromium, SKIP_REASON } from './chromium.js';
import { type InspectedBridge, startInspectedBridge } from './inspected-bridge.js';

declare const document: PageDocument;
declare const EventSource: new (url: string) => { readyState: number; onopen: (() => void) | null; onerror: (() => void) | null };

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

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

if (!hasChromium) console.warn(`test/inspect/browser.test.ts: ${SKIP_REASON}`);

describe.skipIf(!hasChromium)(hasChromium ? 'the inspector page of a running bridge, in Chromium' : `the inspector page (${SKIP_REASON})`, () => {
  const chromium = useChromium();
  const running: InspectedBridge[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((b) => b.stop()));
  });

  async function bridge(env: Record<string, string> = {}): Promise<InspectedBridge> {
    const b = await startInspectedBridge({
      MIST_WEBHOOK_SECRET: SECRETS.join(','),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BLRP_SCHEDULE_DELAY: '50',
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      ...env,
    });
    running.push(b);
    return b;
  }

  it('shows a signed and a wrongly signed delivery within a second, with their verdicts and the records the first became', async () => {
    const b = await bridge();
    // The URL printed once at start, with the token generated for this run.
    expect(b.startLine).toMatch(
      /^Inspector: http:\/\/127\.0\.0\.1:\d+\/inspect\?token=[\w-]{32} \(token generated for this run; set MIST_BRIDGE_INSPECT_TOKEN to keep one across restarts\)$/,
    );
    const token = new URL(b.pageUrl).searchParams.get('token')!;
    const { context, page, errors } = await chromium.open();
    await openInspector(page, b.pageUrl);

    // The token went into an HttpOnly cookie scoped to the page; the address bar and history never kept it.
    expect(page.url()).toBe(`${b.url}/inspect`);
    const cdp = await context.newCDPSession(page);
    const history = (await cdp.send('Page.getNavigationHistory')) as { entries: { url: string }[] };
    expect(history.entries.map((e) => e.url)).toContain(`${b.url}/inspect`);
    expect(history.entries.map((e) => e.url).join(' ')).not.toContain(token);
    expect(await context.cookies()).toEqual([expect.objectContaining({ name: 'mist_bridge_inspect', path: '/inspect', httpOnly: true, sameSite: 'Strict' })]);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    // Nothing yet: the page says how to make something arrive.
    await expect(page.locator('#empty').textContent()).resolves.toContain('mist-otel-bridge webhook ping');

    const good = apDown('ap-lab-1');
    const started = Date.now();
    const [accepted, refused] = await Promise.all([
      postDelivery(b.webhook, good, { secret: SIGNING_SECRET }),
      postDelivery(b.webhook, apDown('ap-lab-2'), { secret: 'not-the-secret' }),
    ]);
    expect([accepted.status, refused.status]).toEqual([200, 401]);
    expect(await entriesShown(page, 2, started)).toBeLessThan(1_000);

    const goodEntry = page.locator('li.entry.verdict-good');
    await expect(goodEntry.locator('.badge.verdict').textContent()).resolves.toBe('signature good · secret #2');
    await expect(goodEntry.locator('.topic').textContent()).resolves.toBe('device-updowns');
    await expect(goodEntry.locator('.badge.status').textContent()).resolves.toBe('HTTP 200');
    await expect(goodEntry.locator('.meta').textContent()).resolves.toBe('1 event');
    await expect(goodEntry.locator('.sender').textContent()).resolves.toBe('from 127.0.0.1');

    // What the event became is what the backend receives.
    expect(await goodEntry.locator('.rec.log').allTextContents()).toEqual(['logWARNAP_DISCONNECTED: ap-lab-1']);
    await receiver.waitFor(() => receiver.logs.some((l) => l.body === 'AP_DISCONNECTED: ap-lab-1'));
    expect(receiver.logs.find((l) => l.body === 'AP_DISCONNECTED: ap-lab-1')!.severityText).toBe('WARN');
    const metrics = await goodEntry.locator('.rec.metric').allTextContents();
    const up = metrics.find((m) => m.startsWith('metricmist.device.up= 0'));
    expect(up).toContain('mist.device_name=ap-lab-1');
    await receiver.waitFor(() => receiver.points.some((p) => p.name === 'mist.device.up' && p.attributes['mist.device_name'] === 'ap-lab-1'));
    expect(receiver.points.find((p) => p.name === 'mist.device.up' && p.attributes['mist.device_name'] === 'ap-lab-1')!.value).toBe(0);
    for (const name of new Set(receiver.points.filter((p) => p.attributes['mist.device_name'] === 'ap-lab-1').map((p) => p.name))) {
      expect(metrics.some((m) => m.startsWith(`metric${name}= `))).toBe(true);
    }
    // Nothing of the refused one reached the backend.
    expect(receiver.logs.some((l) => JSON.stringify(l.body).includes('ap-lab-2'))).toBe(false);

    const wrongEntry = page.locator('li.entry.verdict-wrong');
    await expect(wrongEntry.locator('.badge.verdict').textContent()).resolves.toBe('signature wrong');
    await expect(wrongEntry.locator('.badge.status').textContent()).resolves.toBe('HTTP 401');
    // The topic its body claims, though nothing of it was taken.
    await expect(wrongEntry.locator('.topic').textContent()).resolves.toBe('device-updowns');
    await expect(wrongEntry.locator('.why').textContent()).resolves.toBe(
      'refused: signature_invalid: signature does not match the body under any configured secret',
    );
    expect(await wrongEntry.locator('.rec').count()).toBe(0);

    // Newest first: the two arrived together, so only their order by id is known.
    const order = await page.$$eval('#entries > li.entry', (nodes) => nodes.map((n) => Number((n as unknown as PageNode).dataset.id)));
    expect(order).toEqual([...order].sort((x, y) => y - x));

    // The raw body one click away, drawn when its <details> opens; a refused one as the text that came.
    await wrongEntry.locator('details.raw > summary').click();
    await expect.poll(() => wrongEntry.locator('pre.body').textContent()).toBe(JSON.stringify(apDown('ap-lab-2')));
    await goodEntry.locator('details.raw > summary').click();
    await expect.poll(() => goodEntry.locator('pre.body').textContent()).toBe(JSON.stringify(good, null, 2));

    // Filters and counter.
    await page.selectOption('#verdict-filter', 'good');
    expect(await page.locator('#entries > li.entry:visible').count()).toBe(1);
    await expect(page.locator('#counts').textContent()).resolves.toBe('1 shown · 1 hidden by filters · 0 dropped from view');
    await page.selectOption('#verdict-filter', '');
    expect(errors).toEqual([]);
  });

  it('keeps injected markup as text: no dialog, no injected element, in topics, fields and bodies', async () => {
    const b = await bridge();
    const { page, dialogs, errors } = await chromium.open();
    await openInspector(page, b.pageUrl);

    const injected = {
      topic: SCRIPT,
      events: [{ type: SCRIPT, text: IMG, mac: IMG, org_id: ORG, site_id: SITE, timestamp: 1750003000 }],
    };
    const fields = apDown(IMG);
    fields.events[0]!.type = `AP_DISCONNECTED${SCRIPT}`;
    const hostile = { topic: IMG, events: [{ text: SCRIPT }] };
    expect((await postDelivery(b.webhook, injected, { secret: SIGNING_SECRET })).status).toBe(200);
    expect((await postDelivery(b.webhook, fields, { secret: SIGNING_SECRET })).status).toBe(200);
    expect((await postDelivery(b.webhook, hostile, { secret: 'wrong' })).status).toBe(401);
    expect((await postDelivery(b.webhook, `${SCRIPT}${IMG}`, { secret: SIGNING_SECRET })).status).toBe(400);
    await entriesShown(page, 4, Date.now(), 2_000);
    // Every raw body rendered too.
    await page.$$eval('details', (all) => {
      for (const d of all) (d as unknown as PageNode).open = true;
    });
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
    // Newest first: the body that is not an envelope, the wrongly signed one (its claimed topic), the two accepted.
    expect(dom.topics).toEqual(['(topic not read)', IMG, 'device-updowns', SCRIPT]);
    expect(dom.options).toEqual(expect.arrayContaining([SCRIPT, IMG]));
    expect(dom.bodies).toContain(`${SCRIPT}${IMG}`);
    expect(dom.bodies).toContain(JSON.stringify(hostile));
    expect(dom.bodies.some((body) => body?.includes(`"topic": "${SCRIPT}"`))).toBe(true);
    expect(dom.records.some((r) => r?.includes(`mist.event_type=AP_DISCONNECTED${SCRIPT}`))).toBe(true);
    expect(dom.records.some((r) => r?.includes(`${IMG}`))).toBe(true);
    expect(dom.why).toEqual([expect.stringContaining('invalid_json'), expect.stringContaining('signature_invalid')]);
    const labels = await page.locator('.event .label').allTextContents();
    expect(labels).toContain(`#1  ${SCRIPT} · ${IMG}`);
  });

  it('shows each way a delivery is refused once, with its status and why: signatures missing or wrong, SHA-1, no room in the journal', async () => {
    // SHA-1 accepted when v2 is absent; a journal with room for small deliveries only.
    const b = await bridge({ MIST_BRIDGE_ALLOW_SHA1: 'true', MIST_BRIDGE_DATA_MAX_BYTES: '8192' });
    const { page, errors } = await chromium.open();
    await openInspector(page, b.pageUrl);

    const big = apDown('ap-with-a-long-story');
    (big.events[0] as Record<string, unknown>).text = 'x'.repeat(10_000);
    const answers = [
      (await postDelivery(b.webhook, apDown('unsigned'))).status,
      (await postDelivery(b.webhook, apDown('sha1-wrong'), { secret: 'not-the-secret', sha1Only: true })).status,
      (await postDelivery(b.webhook, apDown('sha1-good'), { secret: SIGNING_SECRET, sha1Only: true })).status,
      (await postDelivery(b.webhook, big, { secret: SIGNING_SECRET })).status,
    ];
    expect(answers).toEqual([401, 401, 200, 503]);
    await entriesShown(page, 4, Date.now());
    // A moment more: an entry shown twice would have arrived by now.
    await page.waitForTimeout(300);
    const entries = await page.$$eval('#entries > li.entry', (nodes) =>
      nodes.map((n) => ({
        topic: (n as unknown as PageNode).querySelector('.topic')?.textContent,
        verdict: (n as unknown as PageNode).querySelector('.badge.verdict')?.textContent,
        status: (n as unknown as PageNode).querySelector('.badge.status')?.textContent,
        why: (n as unknown as PageNode).querySelector('.why')?.textContent ?? null,
        records: (n as unknown as PageNode).querySelector('.rec.log .text')?.textContent ?? null,
      })),
    );
    expect(entries).toEqual([
      // Read, decoded and handed on, then refused by the journal: one entry, its answer 503.
      {
        topic: 'device-updowns',
        verdict: 'signature good · secret #2',
        status: 'HTTP 503',
        why: expect.stringMatching(/^refused: overloaded: the durable journal is full \(\d+ of 8192 bytes\)$/),
        records: null,
      },
      { topic: 'device-updowns', verdict: 'signature good (SHA-1) · secret #2', status: 'HTTP 200', why: null, records: 'AP_DISCONNECTED: sha1-good' },
      {
        topic: 'device-updowns',
        verdict: 'signature wrong (SHA-1)',
        status: 'HTTP 401',
        why: 'refused: signature_invalid: signature does not match the body under any configured secret',
        records: null,
      },
      {
        topic: 'device-updowns',
        verdict: 'signature missing',
        status: 'HTTP 401',
        why: 'refused: signature_missing: X-Mist-Signature-v2 header is required',
        records: null,
      },
    ]);
    expect(errors).toEqual([]);
  });

  it('holds what arrives while paused, and counts what the last N pushed out of view', async () => {
    const b = await bridge({ MIST_BRIDGE_INSPECT_MAX_ENTRIES: '2' });
    const { page, errors } = await chromium.open();
    await openInspector(page, b.pageUrl);
    await expect(page.locator('.subtitle').textContent()).resolves.toBe('what arrives, and what it becomes · the last 2 of each source');
    for (const name of ['ap-1', 'ap-2', 'ap-3']) await postDelivery(b.webhook, apDown(name), { secret: SIGNING_SECRET });
    await expect.poll(() => page.locator('#counts').textContent()).toBe('2 shown · 1 dropped from view');

    await page.click('#pause');
    await expect(page.locator('#pause').getAttribute('aria-pressed')).resolves.toBe('true');
    await postDelivery(b.webhook, apDown('ap-4'), { secret: SIGNING_SECRET });
    await expect.poll(() => page.locator('#pause').textContent()).toBe('Resume (1 new)');
    expect(await page.locator('.rec.log .text').allTextContents()).toEqual(['AP_DISCONNECTED: ap-3', 'AP_DISCONNECTED: ap-2']);

    await page.click('#pause');
    await expect(page.locator('#pause').textContent()).resolves.toBe('Pause');
    expect(await page.locator('.rec.log .text').allTextContents()).toEqual(['AP_DISCONNECTED: ap-4', 'AP_DISCONNECTED: ap-3']);
    await expect(page.locator('#counts').textContent()).resolves.toBe('2 shown · 2 dropped from view');
    expect(errors).toEqual([]);
  });

  it('answers 401 to the page, its event stream and its files without the token, and to a wrong one', async () => {
    const b = await bridge();
    const { context, page } = await chromium.open();

    const bare = await page.goto(`${b.url}/inspect`);
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

    const token = new URL(b.pageUrl).searchParams.get('token')!;
    const wrong = await page.goto(`${b.url}/inspect?token=${'x'.repeat(token.length)}`);
    expect(wrong?.status()).toBe(401);
    expect(await context.cookies()).toEqual([]);
    // Bearer works where a browser is not the client.
    expect((await fetch(`${b.url}/inspect`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });
});
