/**
 * The first hour, as a user lives it: the real bridge with MIST_BRIDGE_INSPECT=true, Mist played
 * by the local stand-ins of its REST API (which posts the ping topic, signed, when asked) and its
 * WebSocket stream, and the page in Chromium.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { apFull } from '../../mist-payloads/stream.mjs';
import { postDelivery } from '../support/mist-client.js';
import { type MistRest, startMistRest } from '../support/mist-rest/server.js';
import { MistWsStandIn } from '../support/mist-ws/stand-in.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { runCli } from '../support/run-cli.js';
import { useReceiver } from '../support/use-receiver.js';
import { entriesShown, openInspector, useChromium } from './browser.js';
import { hasChromium, SKIP_REASON } from './chromium.js';
import { type InspectedBridge, startInspectedBridge } from './inspected-bridge.js';

const SECRET = 'the-webhook-secret-set-in-mist';
const ORG = '6a1c2d3e-0000-4000-8000-00000000000a';
const SITE = '5b000000-0000-4000-8000-000000000001';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

if (!hasChromium) console.warn(`test/inspect/sources.test.ts: ${SKIP_REASON}`);

describe.skipIf(!hasChromium)(
  hasChromium ? 'what Mist sends, on the inspector page of a running bridge' : `what Mist sends, on the inspector page (${SKIP_REASON})`,
  () => {
    const chromium = useChromium();
    let bridge: InspectedBridge | undefined;
    let rest: MistRest | undefined;
    let ws: MistWsStandIn | undefined;
    afterEach(async () => {
      await bridge?.stop();
      await ws?.close();
      await rest?.close();
      bridge = ws = rest = undefined;
    });

    it('`mist-otel-bridge webhook ping` makes the ping appear, its signature good and the log record it became', async () => {
      rest = await startMistRest();
      bridge = await startInspectedBridge({ MIST_WEBHOOK_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BLRP_SCHEDULE_DELAY: '50' });
      const { page, errors } = await chromium.open();
      await openInspector(page, bridge.pageUrl);

      const cli = (args: string[]) => runCli(['webhook', ...args], { MIST_API_URL: rest!.url, MIST_API_TOKEN: rest!.token, MIST_WEBHOOK_SECRET: SECRET });
      const setup = await cli(['setup', '--url', bridge.webhook]);
      expect(setup.code, setup.stderr).toBe(0);
      const ping = await cli(['ping', 'mist-otel-bridge']);
      expect(ping.code, ping.stderr).toBe(0);
      const [delivery] = await rest.waitForDeliveries(1);
      expect(delivery!.status).toBe(200);
      await entriesShown(page, 1, Date.now());

      const entry = page.locator('li.entry');
      await expect(entry.locator('.topic').textContent()).resolves.toBe('ping');
      await expect(entry.locator('.badge.source').textContent()).resolves.toBe('webhook');
      // One secret configured: no rotation to say which matched.
      await expect(entry.locator('.badge.verdict').textContent()).resolves.toBe('signature good');
      await expect(entry.locator('.badge.status').textContent()).resolves.toBe('HTTP 200');
      await expect(entry.locator('.sender').textContent()).resolves.toBe('from 127.0.0.1');
      expect(await entry.locator('.rec.log').allTextContents()).toEqual(['logINFOwebhook test from mist-otel-bridge']);
      await receiver.waitFor(() => receiver.logs.some((l) => l.eventName === 'mist.webhook.ping'));
      expect(receiver.logs.find((l) => l.eventName === 'mist.webhook.ping')!.body).toBe('webhook test from mist-otel-bridge');
      // The body as Mist sent it.
      await entry.locator('details.raw > summary').click();
      await expect.poll(() => entry.locator('pre.body').textContent()).toBe(JSON.stringify(JSON.parse(delivery!.body), null, 2));
      expect(errors).toEqual([]);
    });

    it('shows a stream message with the device metrics it became, and a busy stream does not push the webhook deliveries out of view', async () => {
      rest = await startMistRest({ orgs: [{ id: ORG, name: 'Org', sites: [{ id: SITE, name: 'HQ' }] }] });
      ws = await MistWsStandIn.start({ token: rest.token });
      bridge = await startInspectedBridge({
        MIST_WEBHOOK_SECRET: SECRET,
        MIST_API_TOKEN: rest.token,
        MIST_API_URL: rest.url,
        MIST_WS_URL: ws.url,
        MIST_ORG_ID: ORG,
        MIST_BRIDGE_INSPECT_MAX_ENTRIES: '3',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRIC_EXPORT_INTERVAL: '300',
      });
      const { page, errors } = await chromium.open();
      await openInspector(page, bridge.pageUrl);
      await expect.poll(() => ws!.subscriptions().length, { timeout: 10_000 }).toBe(2);

      // Both sources on: the ping first, then the stream.
      await postDelivery(
        bridge.webhook,
        { topic: 'ping', events: [{ id: 'f7b3c2a0-0000-4000-8000-00000000c003', name: 'mist-otel-bridge', timestamp: 1750003000 }] },
        { secret: SECRET },
      );
      await entriesShown(page, 1, Date.now());

      const channel = `/sites/${SITE}/stats/devices`;
      const started = Date.now();
      ws.publish(channel, apFull({ name: 'ap-lobby-2', time: Math.floor(Date.now() / 1000), cpu_util: 5 }));
      expect(await entriesShown(page, 2, started)).toBeLessThan(1_000);
      const streamed = page.locator('li.entry.verdict-none');
      await expect(streamed.locator('.badge.source').textContent()).resolves.toBe('stream');
      await expect(streamed.locator('.topic').textContent()).resolves.toBe(channel);
      await expect(streamed.locator('.badge.verdict').textContent()).resolves.toBe('no signature (stream)');
      await expect(streamed.locator('.sender').textContent()).resolves.toBe(`from ${new URL(ws.url).host}`);
      expect(await streamed.locator('.badge.status').count()).toBe(0);

      // The device's metrics, as the backend receives them.
      const metrics = await streamed.locator('.rec.metric').allTextContents();
      expect(metrics).toContain('metricmist.device.cpu.utilization= 0.05');
      expect(metrics).toContain('metricmist.device.radio.utilization= 0.12{mist.band=5}');
      // The device's attributes, which every point carries, once.
      const common = await streamed.locator('.rec.common').textContent();
      expect(common).toMatch(/^every point\{.*\}$/);
      expect(common).toContain('mist.device_name=ap-lobby-2');
      expect(common).toContain(`mist.site_id=${SITE}`);
      expect(common).toContain(`mist.org_id=${ORG}`);
      await receiver.waitFor(() => receiver.points.some((p) => p.name === 'mist.device.cpu.utilization'));
      expect(receiver.points.find((p) => p.name === 'mist.device.cpu.utilization')!.value).toBeCloseTo(0.05, 10);
      for (const name of new Set(receiver.points.filter((p) => p.attributes['mist.device_name'] === 'ap-lobby-2').map((p) => p.name))) {
        expect(
          metrics.some((m) => m.startsWith(`metric${name}= `)),
          name,
        ).toBe(true);
      }

      // The topic and verdict filters tell the sources apart.
      await page.selectOption('#topic-filter', channel);
      expect(await page.locator('#entries > li.entry:visible .badge.source').allTextContents()).toEqual(['stream']);
      await page.selectOption('#topic-filter', 'ping');
      expect(await page.locator('#entries > li.entry:visible .badge.source').allTextContents()).toEqual(['webhook']);
      await page.selectOption('#topic-filter', '');
      await page.selectOption('#verdict-filter', 'none');
      expect(await page.locator('#entries > li.entry:visible .badge.source').allTextContents()).toEqual(['stream']);
      await page.selectOption('#verdict-filter', '');

      // More stream messages than the page keeps: the oldest stream message goes, the ping stays.
      for (let i = 1; i <= 3; i++) ws.publish(channel, apFull({ mac: `5c5b3500002${i}`, name: `ap-${i}`, time: Math.floor(Date.now() / 1000) }));
      await expect.poll(() => page.locator('#counts').textContent()).toBe('4 shown · 1 dropped from view');
      expect(await page.locator('#entries > li.entry .topic').allTextContents()).toEqual([channel, channel, channel, 'ping']);
      expect(await page.locator('#entries > li.entry .rec.common').allTextContents()).toEqual([
        expect.stringContaining('mist.device_name=ap-3'),
        expect.stringContaining('mist.device_name=ap-2'),
        expect.stringContaining('mist.device_name=ap-1'),
      ]);
      expect(errors).toEqual([]);
    });
  },
);
