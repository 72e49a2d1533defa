/**
 * Takes docs/inspector.png, the README's picture of the inspector page: realistic deliveries
 * posted to the stand-in server (./stand-in.ts), mapped by the bridge's own mapping engine, shown
 * in Debian's Chromium.
 *
 *   scripts/with-node npx tsx test/inspect/screenshot.ts
 */
import { fileURLToPath } from 'node:url';
import { postDelivery } from '../support/mist-client.js';
import { CHROMIUM, hasChromium, launchChromium } from './chromium.js';
import { startStandIn, WEBHOOK_PATH } from './stand-in.js';

const OUT = fileURLToPath(new URL('../../docs/inspector.png', import.meta.url));
const TOKEN = 'screenshot-token-0123456789';
const SECRETS = ['previous-secret', 'current-secret'];
const ORG = '0b1e2c3d-0000-4000-8000-00000000a001';
const SITE = '5a17e000-0000-4000-8000-00000000b002';
// Documentation addresses (RFC 5737) for the senders behind the reverse proxy.
const MIST = { 'x-forwarded-for': '192.0.2.41' };
const STRANGER = { 'x-forwarded-for': '198.51.100.23' };
const now = Math.floor(Date.now() / 1000);

const deliveries: { body: unknown; secret: string; headers: Record<string, string> }[] = [
  {
    body: {
      topic: 'device-updowns',
      events: [
        { org_id: ORG, site_id: SITE, site_name: 'HQ', ap: '5c5b35000010', ap_name: 'ap-lobby-2', type: 'AP_DISCONNECTED', timestamp: now - 20 },
        { org_id: ORG, site_id: SITE, site_name: 'HQ', mac: 'd4206d000001', device_name: 'sw-core-1', type: 'SW_RESTARTED', timestamp: now - 12 },
      ],
    },
    secret: 'previous-secret',
    headers: MIST,
  },
  { body: { topic: 'alarms', events: [{ id: 'a1000000-0000-4000-8000-000000000001', org_id: ORG, site_id: SITE, site_name: 'HQ', type: 'switch_down', group: 'infrastructure', severity: 'critical', count: 1, switches: ['d4206d000001'], hostnames: ['sw-core-1'], timestamp: now - 10 }] }, secret: 'current-secret', headers: MIST },
  { body: { topic: 'device-events', events: [{ org_id: ORG, site_id: SITE, ap: '5c5b35000011', type: 'AP_CONFIGURED', timestamp: now }] }, secret: 'an-old-secret', headers: STRANGER },
  {
    body: {
      topic: 'client-join',
      events: [
        { org_id: ORG, site_id: SITE, site_name: 'HQ', ap: '5c5b35000012', ap_name: 'ap-floor3-1', band: '5', connect: now - 2, mac: 'a0b1c2000001', rssi: -58, ssid: 'Corp', timestamp: now - 2, wlan_id: '77000000-0000-4000-8000-000000000001' },
      ],
    },
    secret: 'current-secret',
    headers: MIST,
  },
  // Last, so on top: what a new user sees after pressing Test on the webhook in Mist.
  { body: { topic: 'ping', events: [{ site_id: SITE, id: 'f7b3c2a0-0000-4000-8000-00000000c003', name: 'otel-bridge', timestamp: now }] }, secret: 'current-secret', headers: MIST },
];

if (!hasChromium) {
  console.error(`${CHROMIUM} is absent: apt-get install chromium`);
  process.exit(1);
}
const standIn = await startStandIn({ token: TOKEN, secrets: SECRETS });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 980 }, deviceScaleFactor: 1, colorScheme: 'light' });
  await page.goto(`${standIn.url}/inspect?token=${TOKEN}`);
  await page.waitForSelector('#status.live');
  for (const d of deliveries) {
    await postDelivery(standIn.url + WEBHOOK_PATH, d.body, { secret: d.secret, headers: d.headers });
    await new Promise((r) => setTimeout(r, 350));
  }
  await page.waitForFunction((n) => document.querySelectorAll('#entries > li.entry').length === n, deliveries.length);
  await page.locator('li.entry.verdict-wrong details.raw > summary').click();
  await page.waitForFunction(() => document.querySelector('li.entry.verdict-wrong pre.body')?.textContent !== '');
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await standIn.stop();
}

// The page's globals, as far as the callbacks run in it use them (the project compiles without the DOM library).
declare const document: { querySelectorAll(selector: string): ArrayLike<unknown>; querySelector(selector: string): { textContent: string | null } | null };
