/**
 * Takes docs/inspector.png, the README's picture of the inspector page: the real bridge process
 * with both sources on, fed realistic webhook deliveries and a stream message from the local
 * stand-ins of Mist, shown in Debian's Chromium.
 *
 *   scripts/with-node npx tsx test/inspect/screenshot.ts
 */
import { fileURLToPath } from 'node:url';
import { apFull } from '../../mist-payloads/stream.mjs';
import { postDelivery } from '../support/mist-client.js';
import { startMistRest } from '../support/mist-rest/server.js';
import { MistWsStandIn } from '../support/mist-ws/stand-in.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import type { PageDocument } from './browser.js';
import { CHROMIUM, hasChromium, launchChromium } from './chromium.js';
import { startInspectedBridge } from './inspected-bridge.js';

declare const document: PageDocument;

const OUT = fileURLToPath(new URL('../../docs/inspector.png', import.meta.url));
const TOKEN = 'screenshot-token-0123456789';
// A rotation under way: Mist still signs some deliveries with the previous secret.
const SECRETS = ['previous-secret', 'current-secret'];
const ORG = '0b1e2c3d-0000-4000-8000-00000000a001';
const SITE = '5a17e000-0000-4000-8000-00000000b002';
// Documentation addresses (RFC 5737) for the senders behind the reverse proxy.
const MIST = { 'x-forwarded-for': '192.0.2.41' };
const STRANGER = { 'x-forwarded-for': '198.51.100.23' };
const now = Math.floor(Date.now() / 1000);

type Step = { webhook: unknown; secret: string; headers: Record<string, string> } | { stream: unknown };

const steps: Step[] = [
  {
    webhook: {
      topic: 'device-updowns',
      events: [
        { org_id: ORG, site_id: SITE, site_name: 'HQ', ap: '5c5b35000010', ap_name: 'ap-lobby-2', type: 'AP_DISCONNECTED', timestamp: now - 20 },
        { org_id: ORG, site_id: SITE, site_name: 'HQ', mac: 'd4206d000001', device_name: 'sw-core-1', type: 'SW_RESTARTED', timestamp: now - 12 },
      ],
    },
    secret: 'previous-secret',
    headers: MIST,
  },
  {
    webhook: {
      topic: 'alarms',
      events: [
        {
          id: 'a1000000-0000-4000-8000-000000000001',
          org_id: ORG,
          site_id: SITE,
          site_name: 'HQ',
          type: 'switch_down',
          group: 'infrastructure',
          severity: 'critical',
          count: 1,
          switches: ['d4206d000001'],
          hostnames: ['sw-core-1'],
          timestamp: now - 10,
        },
      ],
    },
    secret: 'current-secret',
    headers: MIST,
  },
  {
    webhook: {
      topic: 'client-join',
      events: [
        {
          org_id: ORG,
          site_id: SITE,
          site_name: 'HQ',
          ap: '5c5b35000012',
          ap_name: 'ap-floor3-1',
          band: '5',
          connect: now - 2,
          mac: 'a0b1c2000001',
          rssi: -58,
          ssid: 'Corp',
          timestamp: now - 2,
          wlan_id: '77000000-0000-4000-8000-000000000001',
        },
      ],
    },
    secret: 'current-secret',
    headers: MIST,
  },
  { stream: apFull({ mac: '5c5b35000012', name: 'ap-floor3-1', time: now - 3, uptime: 432_000, cpu_util: 7, num_clients: 12 }) },
  {
    webhook: { topic: 'device-events', events: [{ org_id: ORG, site_id: SITE, ap: '5c5b35000011', type: 'AP_CONFIGURED', timestamp: now }] },
    secret: 'an-old-secret',
    headers: STRANGER,
  },
  // Last, so on top: what a new user sees after pressing Test on the webhook in Mist.
  {
    webhook: { topic: 'ping', events: [{ site_id: SITE, id: 'f7b3c2a0-0000-4000-8000-00000000c003', name: 'otel-bridge', timestamp: now }] },
    secret: 'current-secret',
    headers: MIST,
  },
];

if (!hasChromium) {
  console.error(`${CHROMIUM} is absent: apt-get install chromium`);
  process.exit(1);
}
const receiver = await startOtlpReceiver();
const rest = await startMistRest({ orgs: [{ id: ORG, name: 'Org', sites: [{ id: SITE, name: 'HQ' }] }] });
const ws = await MistWsStandIn.start({ token: rest.token });
const bridge = await startInspectedBridge({
  MIST_BRIDGE_INSPECT_TOKEN: TOKEN,
  MIST_WEBHOOK_SECRET: SECRETS.join(','),
  MIST_API_TOKEN: rest.token,
  MIST_API_URL: rest.url,
  MIST_WS_URL: ws.url,
  MIST_ORG_ID: ORG,
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
});
const browser = await launchChromium();
try {
  while (ws.subscriptions().length < 2) await new Promise((r) => setTimeout(r, 50));
  const page = await browser.newPage({ viewport: { width: 1280, height: 1250 }, deviceScaleFactor: 1, colorScheme: 'light' });
  await page.goto(`${bridge.url}/inspect?token=${TOKEN}`);
  await page.waitForSelector('#status.live');
  for (const step of steps) {
    if ('stream' in step) ws.publish(`/sites/${SITE}/stats/devices`, step.stream);
    else await postDelivery(bridge.webhook, step.webhook, { secret: step.secret, headers: step.headers });
    await new Promise((r) => setTimeout(r, 350));
  }
  await page.waitForFunction((n) => document.querySelectorAll('#entries > li.entry').length === n, steps.length);
  await page.locator('li.entry.verdict-wrong details.raw > summary').click();
  await page.waitForFunction(() => document.querySelector('li.entry.verdict-wrong pre.body')?.textContent !== '');
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await bridge.stop();
  await ws.close();
  await rest.close();
  await receiver.close();
}
