/**
 * The inspector page through restarts of the real bridge process, and what the page says of
 * deliveries the journal holds (kept while the backend is down, mapped later or after a restart).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { useTempDirs } from '../support/temp-dirs.js';
import { useReceiver } from '../support/use-receiver.js';
import { entriesShown, openInspector, type PageDocument, type PageNode, useChromium } from './browser.js';
import { hasChromium, SKIP_REASON } from './chromium.js';
import { type InspectedBridge, startInspectedBridge } from './inspected-bridge.js';

declare const document: PageDocument;

const SECRET = 'restart-test-secret';
const TOKEN = 'a-fixed-inspector-token-0123';

function apDown(apName: string) {
  return {
    topic: 'device-updowns',
    events: [{ site_id: '5a17e000-0000-4000-8000-00000000b002', ap: '5c5b35000010', ap_name: apName, type: 'AP_DISCONNECTED', timestamp: 1750003000 }],
  };
}

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

/** Each row: the entry's class and its first log record, or the divider's text. */
function rows(page: Page): Promise<string[]> {
  return page.$$eval('#entries > li', (nodes) =>
    nodes.map((n) => n.className + ' ' + ((n as unknown as PageNode).querySelector('.rec.log .text')?.textContent ?? n.textContent)),
  );
}

if (!hasChromium) console.warn(`test/inspect/restart.test.ts: ${SKIP_REASON}`);

describe.skipIf(!hasChromium)(
  hasChromium ? 'the inspector page through bridge restarts, in Chromium' : `the inspector page through restarts (${SKIP_REASON})`,
  () => {
    const chromium = useChromium();
    // Before the afterEach below, so the bridges stop before their directories go.
    const tempDir = useTempDirs('mist-bridge-inspect-');
    const running: InspectedBridge[] = [];
    afterEach(async () => {
      await Promise.all(running.splice(0).map((b) => b.stop()));
    });

    async function bridge(env: Record<string, string>, options: { port?: number; args?: string[] } = {}): Promise<InspectedBridge> {
      const b = await startInspectedBridge(
        { MIST_WEBHOOK_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BLRP_SCHEDULE_DELAY: '50', OTEL_METRIC_EXPORT_INTERVAL: '200', ...env },
        options,
      );
      running.push(b);
      return b;
    }

    async function stop(b: InspectedBridge): Promise<void> {
      running.splice(running.indexOf(b), 1);
      await b.stop();
    }

    it('with a fixed token: never prints it, and after a restart on the same port resumes and shows what arrives after', async () => {
      const first = await bridge({ MIST_BRIDGE_INSPECT_TOKEN: TOKEN });
      expect(first.startLine).toBe(`Inspector: ${first.url}/inspect?token=<MIST_BRIDGE_INSPECT_TOKEN> (or Authorization: Bearer)`);
      const { page, errors } = await chromium.open();
      await openInspector(page, `${first.url}/inspect?token=${TOKEN}`);
      await postDelivery(first.webhook, apDown('before-restart'), { secret: SECRET });
      await entriesShown(page, 1, Date.now());

      await stop(first);
      expect(first.process.stderr()).not.toContain(TOKEN);
      await page.waitForSelector('#status.reconnecting', { timeout: 5_000 });

      const second = await bridge({ MIST_BRIDGE_INSPECT_TOKEN: TOKEN }, { port: first.port });
      await page.waitForSelector('#status.live', { timeout: 10_000 });
      const started = Date.now();
      await postDelivery(second.webhook, apDown('after-restart'), { secret: SECRET });
      expect(await entriesShown(page, 2, started)).toBeLessThan(1_000);

      expect(await rows(page)).toEqual([
        'entry verdict-good AP_DISCONNECTED: after-restart',
        expect.stringMatching(/^divider the bridge restarted · \d\d:\d\d:\d\d\.\d{3}$/),
        'entry verdict-good AP_DISCONNECTED: before-restart',
      ]);
      await expect(page.locator('#counts').textContent()).resolves.toBe('2 shown · 0 dropped from view');
      // The EventSource's failed reconnection attempts are the only errors the browser reports.
      expect(errors.filter((e) => !e.includes('ERR_CONNECTION_REFUSED'))).toEqual([]);
    });

    it('with a generated token: says the restarted bridge no longer accepts it, and resumes with the URL it printed', async () => {
      const first = await bridge({});
      const { page } = await chromium.open();
      await openInspector(page, first.pageUrl);

      await stop(first);
      const second = await bridge({}, { port: first.port });
      expect(second.pageUrl).not.toBe(first.pageUrl);
      await page.waitForSelector('#status.denied', { timeout: 10_000 });
      await expect(page.locator('#status').textContent()).resolves.toBe('token not accepted: the bridge restarted with a new one; open the URL it printed');

      await openInspector(page, second.pageUrl);
      await postDelivery(second.webhook, apDown('new-token'), { secret: SECRET });
      await entriesShown(page, 1, Date.now());
    });

    it('says when a delivery waits in the journal, and shows what it became once mapped from it, after the backlog drains or a restart', async () => {
      const dir = tempDir();
      const config = join(dir, 'bridge.yaml');
      // One record waiting for export is a full backlog: the next delivery stays in the journal.
      writeFileSync(
        config,
        ['durability:', '  maxQueuedRecords: 1', 'server:', '  shutdownTimeoutMs: 1500', 'export:', '  retryInitialMs: 50', '  retryMaxMs: 200', ''].join('\n'),
      );
      const env = { MIST_BRIDGE_INSPECT_TOKEN: TOKEN, MIST_BRIDGE_DATA_DIR: join(dir, 'data'), OTEL_EXPORTER_OTLP_TIMEOUT: '500' };
      const first = await bridge(env, { args: ['--config', config] });
      const { page, errors } = await chromium.open();
      await openInspector(page, `${first.url}/inspect?token=${TOKEN}`);

      receiver.failWith(503);
      expect((await postDelivery(first.webhook, apDown('mapped-at-once'), { secret: SECRET })).status).toBe(200);
      await entriesShown(page, 1, Date.now());
      expect((await postDelivery(first.webhook, apDown('kept-for-the-backlog'), { secret: SECRET })).status).toBe(200);
      await entriesShown(page, 2, Date.now());
      const deferred = page.locator('#entries > li.entry').first();
      await expect(deferred.locator('.badge.status').textContent()).resolves.toBe('HTTP 200');
      await expect(deferred.locator('.note').textContent()).resolves.toBe(
        'accepted and kept in the journal while the export backlog is full: its events are mapped as it drains, and show then in an entry from the journal',
      );
      expect(await deferred.locator('.rec').count()).toBe(0);

      // The backend is back: the backlog drains, and the kept delivery is mapped from the journal.
      receiver.failWith(null);
      await entriesShown(page, 3, Date.now(), 10_000);
      const caughtUp = page.locator('#entries > li.entry').first();
      await expect(caughtUp.locator('.badge.verdict').textContent()).resolves.toBe('from the journal');
      await expect(caughtUp.locator('.note').textContent()).resolves.toMatch(
        /^received at \d\d:\d\d:\d\d\.\d{3}, kept in the journal while the export backlog was full; mapped from it at \d\d:\d\d:\d\d\.\d{3} \(its signature was checked on arrival\)$/,
      );
      expect(await caughtUp.locator('.rec.log').allTextContents()).toEqual(['logWARNAP_DISCONNECTED: kept-for-the-backlog']);
      await receiver.waitFor(() => receiver.logs.some((l) => l.body === 'AP_DISCONNECTED: kept-for-the-backlog'));
      // Everything exported and released before the next outage.
      await expect
        .poll(async () => ((await (await fetch(`${first.url}/readyz`)).json()) as { journal: { rows: number } }).journal.rows, { timeout: 5_000 })
        .toBe(0);

      // Down again, and the bridge stops with a delivery not exported: the next start replays it.
      receiver.failWith(503);
      expect((await postDelivery(first.webhook, apDown('kept-through-a-restart'), { secret: SECRET })).status).toBe(200);
      await entriesShown(page, 4, Date.now());
      await stop(first);
      expect(first.process.stderr()).toContain('deliveries not exported yet stay in the journal');
      receiver.failWith(null);
      await bridge(env, { args: ['--config', config], port: first.port });
      await page.waitForFunction(() => document.querySelectorAll('#entries > li.entry').length === 5, null, { timeout: 10_000 });
      const replayed = page.locator('#entries > li.entry').first();
      await expect(replayed.locator('.note').textContent()).resolves.toMatch(
        /^received at [\d:.]+, kept in the journal through a restart of the bridge; mapped from it at [\d:.]+ \(its signature was checked on arrival\)$/,
      );
      await expect(replayed.locator('.rec.log .text').textContent()).resolves.toBe('AP_DISCONNECTED: kept-through-a-restart');
      await receiver.waitFor(() => receiver.logs.some((l) => l.body === 'AP_DISCONNECTED: kept-through-a-restart'));

      // The filter finds what was mapped late.
      await page.selectOption('#verdict-filter', 'journal');
      expect(await page.locator('#entries > li.entry:visible .rec.log .text').allTextContents()).toEqual([
        'AP_DISCONNECTED: kept-through-a-restart',
        'AP_DISCONNECTED: kept-for-the-backlog',
      ]);
      expect(errors.filter((e) => !e.includes('ERR_CONNECTION_REFUSED'))).toEqual([]);
    });
  },
);
