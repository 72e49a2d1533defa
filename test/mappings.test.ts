import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MappingError } from '../src/mapping/loader.js';
import { packagePath } from '../src/package-root.js';
import { startTestBridge } from './support/bridge-harness.js';
import { useMemoryOtlp } from './support/memory-otlp.js';
import { postDelivery } from './support/mist-client.js';
import { decodeOtlpJson, type ReceivedLog, type ReceivedPoint, startOtlpReceiver } from './support/otlp-receiver.js';
import { useTempDirs } from './support/temp-dirs.js';

/**
 * Mapping files end to end: a real bridge, what it exports. What each built-in file makes of its
 * fixture is pinned by the golden files (src/mapping/golden.test.ts); these show a running bridge
 * exporting the same, over time, and the user's own files.
 */

const ORG = 'e2e00000-0000-4000-8000-00000000000a';
const SITE = 'e2e00000-0000-4000-8000-00000000000b';
const testdata = packagePath('src', 'mapping', 'testdata');
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(testdata, `${name}.input.json`), 'utf8')) as { source?: string; topic: string; events: unknown[] };
const webhookFixtures = readdirSync(testdata)
  .filter((f) => f.endsWith('.input.json'))
  .map((f) => f.slice(0, -'.input.json'.length))
  .filter((name) => fixture(name).source === undefined);

const memory = useMemoryOtlp();
const tempDir = useTempDirs('mist-e2e-mappings-');

const points = (name: string, where: (p: ReceivedPoint) => boolean = () => true) => memory.points.filter((p) => p.name === name && where(p));

describe('built-in mappings through a running bridge', () => {
  it('exports the log records of the golden files (src/mapping/testdata) for every webhook fixture', async () => {
    const bridge = await startTestBridge(memory);
    try {
      const expected = new Map<string, ReceivedLog[]>();
      for (const name of webhookFixtures) {
        const { topic, events } = fixture(name);
        // As Mist's own examples spell some topics: the same topic.
        const spelled = topic === 'device-updowns' ? 'device_updowns' : topic;
        expect((await postDelivery(bridge.webhook, { topic: spelled, events })).status, name).toBe(200);
        expected.set(topic, decodeOtlpJson('logs', readFileSync(join(testdata, `${name}.logs.golden.json`))));
      }
      const total = [...expected.values()].reduce((n, logs) => n + logs.length, 0);
      await memory.waitFor(() => memory.logs.length >= total);
      // Every field as in the golden but the receipt time, which is now and not the fixture's (and
      // is the record's time when its event has none).
      const comparable = (l: ReceivedLog) => ({
        ...(l.attributes['mist.timestamp_source'] === 'receipt' ? {} : { timeUnixNano: l.timeUnixNano }),
        severityNumber: l.severityNumber,
        severityText: l.severityText,
        body: l.body,
        eventName: l.eventName,
        attributes: l.attributes,
      });
      for (const [topic, golden] of expected) {
        expect(memory.logs.filter((l) => l.attributes['mist.topic'] === topic).map(comparable), topic).toEqual(golden.map(comparable));
      }
      expect(memory.logs).toHaveLength(total);
    } finally {
      await bridge.stop();
    }
  });

  it('keeps a state gauge current between events and a sample gauge at its measurement time, collection after collection', async () => {
    const bridge = await startTestBridge(memory);
    try {
      const updowns = {
        topic: 'device-updowns',
        events: [{ org_id: ORG, site_id: SITE, ap: '5c5b35e2e001', ap_name: 'ap-e2e', type: 'AP_DISCONNECTED', timestamp: 1750000120.5 }],
      };
      const latency = { topic: 'client-latency', events: [{ org_id: ORG, site_id: SITE, avg_dhcp: 0.0125, timestamp: 1750000200.654321 }] };
      for (const body of [updowns, latency]) expect((await postDelivery(bridge.webhook, body)).status).toBe(200);
      await memory.waitFor(() => points('mist.device.up').length > 0 && points('mist.client.latency.dhcp.avg').length > 0);
      expect(points('mist.device.up')[0]).toMatchObject({ value: 0, timeUnixNano: 1750000120_500000000n });
      expect(points('mist.client.latency.dhcp.avg')[0]).toMatchObject({ value: 0.0125, timeUnixNano: 1750000200_654321000n });

      memory.clear();
      await memory.waitFor(() => points('mist.device.up').length > 0 && points('mist.client.latency.dhcp.avg').length > 0);
      expect(points('mist.device.up')[0]!.timeUnixNano).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
      expect(points('mist.client.latency.dhcp.avg')[0]!.timeUnixNano).toBe(1750000200_654321000n);
    } finally {
      await bridge.stop();
    }
  });

  it('keeps the event time of a gauge point over OTLP/JSON too', async () => {
    const receiver = await startOtlpReceiver();
    const bridge = await startTestBridge(receiver, { env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } });
    try {
      const body = {
        topic: 'minis-reachability',
        events: [{ site_id: SITE, probe_name: 'gw', avg_latency: 12.5, loss_percentage: '2.5', timestamp: 1750000400.000001 }],
      };
      expect((await postDelivery(bridge.webhook, body)).status).toBe(200);
      const received = (name: string) => receiver.points.filter((p) => p.name === name);
      await receiver.waitFor(() => received('mist.minis.reachability.loss').length > 0);
      expect(receiver.requests.some((r) => r.signal === 'metrics' && r.contentType.startsWith('application/json'))).toBe(true);
      expect(received('mist.minis.reachability.loss')[0]).toMatchObject({ unit: '1', value: 0.025, timeUnixNano: 1750000400_000001000n });
      expect(received('mist.minis.reachability.latency.avg')[0]).toMatchObject({ unit: 's', value: 0.0125, timeUnixNano: 1750000400_000001000n });
    } finally {
      await bridge.stop();
      await receiver.close();
    }
  });

  it('maps a 250-event delivery of real-world shapes: ms and string timestamps, string booleans, mixed types', async () => {
    const bridge = await startTestBridge(memory);
    try {
      const events = Array.from({ length: 250 }, (_, i) => {
        switch (i % 5) {
          case 0: // 13-digit milliseconds, "true"/"false" strings
            return {
              org_id: ORG,
              site_id: SITE,
              type: i % 2 ? 'NAC_CLIENT_DENY' : 'NAC_CLIENT_PERMIT',
              mac: `a0b1c200${i}`,
              random_mac: 'true',
              nacrule_matched: 'false',
              client_type: 'WIRELESS',
              timestamp: 1750000000000 + i,
            };
          case 1: // numeric-string seconds
            return { org_id: ORG, type: 'ME_SERVICE_STOPPED', mxedge_id: `edge-${i}`, timestamp: `1750000000.${String(i).padStart(6, '0')}` };
          case 2: // zone-less ISO only in a field the topic does not use for time; no timestamp at all
            return { org_id: ORG, site_id: SITE, type: 'AP_CONFIGURED', ev_type: 'notice', last_seen: '2025-06-05T04:00:00', n: i };
          case 3: // undeclared fields, nested and mixed-type
            return {
              org_id: ORG,
              site_id: SITE,
              type: 'SW_PORT_DOWN',
              ev_type: 'WARN',
              extra: { list: [1, 'two', { three: true }] },
              version: i,
              timestamp: 1750000000 + i,
            };
          default: // not an object at all
            return i;
        }
      });
      const res = await postDelivery(bridge.webhook, { topic: 'device-events', events });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ events: 250, failed_events: 0 });
      await memory.waitFor(() => memory.logs.length === 250);

      const logs = memory.logs;
      const byType = (t: string) => logs.filter((l) => l.attributes['mist.type'] === t);
      expect(byType('NAC_CLIENT_PERMIT')[0]!.timeUnixNano).toBe(1750000000000_000000n);
      expect(byType('ME_SERVICE_STOPPED').find((l) => l.attributes['mist.mxedge_id'] === 'edge-11')!.timeUnixNano).toBe(1750000000_000011000n);
      expect(byType('AP_CONFIGURED').every((l) => l.attributes['mist.timestamp_source'] === 'receipt' && l.timeUnixNano === l.observedTimeUnixNano)).toBe(true);
      expect(byType('SW_PORT_DOWN').every((l) => l.severityText === 'WARN')).toBe(true);
      expect(byType('SW_PORT_DOWN')[0]!.attributes['mist.extra']).toEqual({ list: [1, 'two', { three: true }] });
      expect(logs.filter((l) => l.attributes['mist.malformed_event'] === true)).toHaveLength(50);
      for (const l of logs) {
        expect(l.timeUnixNano).toBeGreaterThan(BigInt(Date.UTC(2015, 0, 1)) * 1_000_000n);
        // A non-object event is not a device event: the default mapping records what arrived.
        expect(l.eventName).toBe(l.attributes['mist.malformed_event'] ? 'mist.event' : 'mist.device.event');
      }
      await memory.waitFor(() => points('mist.events', (p) => p.attributes['mist.topic'] === 'device-events').reduce((n, p) => n + (p.value ?? 0), 0) >= 250);
    } finally {
      await bridge.stop();
    }
  });
});

describe('custom mapping files', () => {
  it('adds a topic from the mappings directory, its metric reaching the backend with its unit', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'door-sensors.yaml'),
      `topic: door-sensors
description: Door sensors
log: { event_name: mist.door.event, body: [text], severity: { default: INFO, rules: [{ when: { field: state, equals: forced }, level: ERROR }] } }
metrics:
  - { name: mist.door.battery, instrument: gauge, gauge: state, unit: "1", description: Battery, value: battery_pct, scale: 0.01, attributes: { mist.door: door } }
`,
    );
    const bridge = await startTestBridge(memory, { env: { MIST_BRIDGE_MAPPINGS_DIR: dir } });
    try {
      const res = await postDelivery(bridge.webhook, {
        topic: 'door-sensors',
        events: [{ door: 'north', state: 'FORCED', text: 'north door forced', battery_pct: '87', timestamp: 1750000300 }],
      });
      expect(res.status).toBe(200);
      await memory.waitFor(() => memory.logs.length === 1 && points('mist.door.battery').length > 0);
      expect(memory.logs[0]).toMatchObject({
        eventName: 'mist.door.event',
        severityText: 'ERROR',
        body: 'north door forced',
        timeUnixNano: 1750000300_000000000n,
      });
      expect(points('mist.door.battery')[0]).toMatchObject({
        unit: '1',
        value: 0.87,
        attributes: { 'mist.door': 'north' },
        timeUnixNano: 1750000300_000000000n,
      });
    } finally {
      await bridge.stop();
    }
  });

  it('stops start-up on a bad file, naming the file, the path inside it and the problem', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'alarms.yaml'),
      'topic: alarms\ndescription: mine\nlog: false\nmetrics:\n  - { name: mist.x.count, instrument: counter, description: x }\n',
    );
    const started = startTestBridge(memory, { env: { MIST_BRIDGE_MAPPINGS_DIR: dir } });
    await expect(started).rejects.toThrow(MappingError);
    await expect(started).rejects.toThrow(/alarms\.yaml:5:\d+: metrics\[0\]\.unit: /);
  });
});
