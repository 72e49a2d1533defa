import { describe, expect, it } from 'vitest';
import { startTestBridge } from '../support/bridge-harness.js';
import { useMemoryOtlp } from '../support/memory-otlp.js';
import { postDelivery } from '../support/mist-client.js';

const memory = useMemoryOtlp();

const TOPIC = 'dedup-probe';
const down = { type: 'AP_DISCONNECTED', mac: '5c5b35000001', site_id: 's-1', org_id: 'o-1', timestamp: 1_717_574_400 };
const up = { type: 'AP_CONNECTED', mac: '5c5b35000002', site_id: 's-1', org_id: 'o-1', timestamp: 1_717_574_460 };
const other = { type: 'AP_RESTARTED', mac: '5c5b35000003', site_id: 's-1', org_id: 'o-1', timestamp: 1_717_574_470 };
// The same two events as the site-level webhook sends them: its own webhook_id, for_site, keys in
// another order, aggregated with a third event the org webhook sent separately.
const orgDelivery = {
  topic: TOPIC,
  events: [
    { ...down, webhook_id: 'org-hook' },
    { ...up, webhook_id: 'org-hook' },
  ],
};
const siteDelivery = {
  topic: TOPIC,
  events: [
    { for_site: true, webhook_id: 'site-hook', timestamp: up.timestamp, type: up.type, mac: up.mac, org_id: 'o-1', site_id: 's-1' },
    { ...other, webhook_id: 'site-hook', for_site: true },
    { ...down, webhook_id: 'site-hook', for_site: true },
  ],
};

const logs = () => memory.logs.filter((l) => l.attributes['mist.topic'] === TOPIC);

describe('the same event from an org-level and a site-level webhook', () => {
  it('is exported once, and the drop is counted', async () => {
    const bridge = await startTestBridge(memory);
    try {
      const org = await postDelivery(bridge.webhook, orgDelivery);
      const site = await postDelivery(bridge.webhook, siteDelivery);
      expect(org.json).toMatchObject({ status: 'accepted', events: 2, duplicates: 0 });
      expect(site.json).toMatchObject({ status: 'accepted', events: 1, duplicates: 2 });
      await memory.waitFor(() => logs().length >= 3);
      await new Promise((r) => setTimeout(r, 200)); // would-be duplicates have had time to arrive
      expect(
        logs()
          .map((l) => l.attributes['mist.type'])
          .sort(),
      ).toEqual(['AP_CONNECTED', 'AP_DISCONNECTED', 'AP_RESTARTED']);
      // The exported record is the first delivery's.
      expect(logs().find((l) => l.attributes['mist.type'] === 'AP_DISCONNECTED')!.attributes['mist.webhook_id']).toBe('org-hook');

      const text = await (await fetch(bridge.address.url + '/metrics')).text();
      expect(text).toMatch(/^mist_bridge_events_duplicates_total\{[^}]*topic="dedup-probe"[^}]*\} 2$/m);
    } finally {
      await bridge.stop();
    }
  });

  it('is exported twice when MIST_BRIDGE_DEDUP_WINDOW=0', async () => {
    const bridge = await startTestBridge(memory, { env: { MIST_BRIDGE_DEDUP_WINDOW: '0' } });
    try {
      await postDelivery(bridge.webhook, orgDelivery);
      const site = await postDelivery(bridge.webhook, siteDelivery);
      expect(site.json).toMatchObject({ events: 3, duplicates: 0 });
      await memory.waitFor(() => logs().length === 5);
    } finally {
      await bridge.stop();
    }
  });
});
