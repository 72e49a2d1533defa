/**
 * Stream statistics through the built-in mappings (mappings/stream-*.yaml) and the signals
 * (src/signals/subject-*.ts) into OTLP: each collection is exported to the SDK's in-memory
 * exporter and read back as OTLP (test/support/memory-otlp.ts), what a backend would store. A
 * clock of the test's own stands in for time passing between collections. The documents are this
 * project's (mist-payloads/stream.mjs), shaped as MIST-API.md §1 and the corpus describe them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { apBasic, apFull, gatewayStats, switchStats, wirelessClient } from '../mist-payloads/stream.mjs';
import { createLogger } from '../src/log/logger.js';
import { loadMappings } from '../src/mapping/loader.js';
import { packagePath } from '../src/package-root.js';
import { createMetricRecorder, EventTimeGauges, MAX_SERIES } from '../src/signals/metrics.js';
import { buildResource, DrivenMetricReader, SCOPE_NAME } from '../src/signals/providers.js';
import { SubjectMetrics } from '../src/signals/subject-metrics.js';
import { StreamClient } from '../src/sources/stream/client.js';
import { loadStreamSettings } from '../src/sources/stream/config.js';
import { useMemoryOtlp } from './support/memory-otlp.js';
import { MistWsStandIn } from './support/mist-ws/stand-in.js';
import type { ReceivedPoint } from './support/otlp-receiver.js';

const S = 1_000_000_000n;
const T = 1_700_000_000; // the fixtures' report time, epoch seconds
const ns = (seconds: number) => BigInt(Math.round(seconds * 1000)) * 1_000_000n;
const SITE = '6a1e0000-0000-4000-8000-00000000c0de';
const ORG = '0a9e0000-0000-4000-8000-0000000000aa';
const CONTEXT = { site_id: SITE, org_id: ORG };

const memory = useMemoryOtlp();

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Mapping and signals as the processing stage will run them for stream batches, exported in memory. */
function streamMetrics(startSeconds = T + 1, options: { deviceTtlMs?: number } = {}) {
  let now = ns(startSeconds);
  const clock = () => now;
  // As the bridge loads them, with the operator's stream.deviceTtlMs when set.
  const { engine, metrics } = loadMappings(options.deviceTtlMs === undefined ? {} : { subjectTtlMs: { 'stream:stats/devices': options.deviceTtlMs } });
  const subjects = new SubjectMetrics({ now: clock });
  const gauges = new EventTimeGauges(clock);
  const reader = new DrivenMetricReader({ metricProducers: [gauges, subjects], cardinalitySelector: () => MAX_SERIES });
  const provider = new MeterProvider({ resource: buildResource(), readers: [reader] });
  const recorder = createMetricRecorder(provider.getMeter(SCOPE_NAME), metrics, gauges, subjects);
  const exporter = memory.exporters().metrics;
  closers.push(async () => {
    await exporter.shutdown();
    await provider.shutdown();
  });
  return {
    subjects,
    deliver(kind: 'stats/devices' | 'stats/clients', document: unknown, context: Record<string, string> = CONTEXT) {
      recorder.record(engine.map('stream', kind, document, now, context).metrics);
    },
    /** One collection, exported: its points as a backend gets them. */
    async collect(): Promise<ReceivedPoint[]> {
      recorder.flush();
      const { resourceMetrics } = await reader.collect();
      memory.clear();
      if (resourceMetrics.scopeMetrics.length === 0) return [];
      const result = await new Promise<ExportResult>((resolve) => exporter.export(resourceMetrics, resolve));
      expect(result.code, String(result.error)).toBe(ExportResultCode.SUCCESS);
      return [...memory.points];
    },
    advance(seconds: number) {
      now += ns(seconds);
    },
  };
}

const named = (points: ReceivedPoint[], name: string, where: Record<string, unknown> = {}) =>
  points.filter((p) => p.name === name && Object.entries(where).every(([k, v]) => p.attributes[k] === v));
const one = (points: ReceivedPoint[], name: string, where: Record<string, unknown> = {}) => {
  const found = named(points, name, where);
  expect(found, `${name} ${JSON.stringify(where)}`).toHaveLength(1);
  return found[0]!;
};

const AP_IDENTITY = {
  'mist.org_id': ORG,
  'mist.site_id': SITE,
  'mist.device_mac': '5c5b35000001',
  'mist.device_name': 'ap-lobby',
  'mist.device_type': 'ap',
  'mist.device_model': 'AP45',
};

describe('device statistics', () => {
  it("an AP's basic message before its full one: one identity on every series, values, units and times as Mist meant them", async () => {
    const m = streamMetrics();
    m.deliver('stats/devices', apBasic({ time: T }));
    m.deliver('stats/devices', apFull({ time: T }));
    let points = await m.collect();

    // One uptime series (the latest report's), with the identity the full message gave.
    expect(named(points, 'mist.device.uptime').map((p) => [p.kind, p.unit, p.timeUnixNano, p.value, p.attributes])).toEqual([
      ['gauge', 's', ns(T + 0.25), 86_400, AP_IDENTITY],
    ]);
    for (const p of points) expect(p.attributes, p.name).toMatchObject(AP_IDENTITY);

    expect(one(points, 'mist.device.cpu.utilization')).toMatchObject({ kind: 'gauge', unit: '1', value: 0.05, timeUnixNano: ns(T + 0.25) });
    expect(one(points, 'mist.device.memory.utilization')).toMatchObject({ unit: '1', value: 0.42 });
    expect(one(points, 'mist.device.clients')).toMatchObject({ unit: '{client}', value: 7 });
    expect(named(points, 'mist.device.radio.utilization').map((p) => [p.attributes['mist.band'], p.value, p.unit])).toEqual([
      ['24', 0.31, '1'],
      ['5', 0.12, '1'],
    ]);
    expect(named(points, 'mist.device.radio.noise_floor').map((p) => [p.attributes['mist.band'], p.value, p.unit])).toEqual([
      ['24', -90, 'dBm'],
      ['5', -95, 'dBm'],
    ]);
    expect(named(points, 'mist.device.radio.channel').map((p) => p.value)).toEqual([6, 36]);
    expect(one(points, 'mist.device.port.up', { 'network.interface.name': 'eth0' }).value).toBe(1);
    expect(one(points, 'mist.device.port.speed', { 'network.interface.name': 'eth0' })).toMatchObject({ unit: 'Mbit/s', value: 1000 });
    // The port's own byte counts, from the AP's boot (report time − uptime).
    const rx = one(points, 'mist.device.network.io', { 'network.interface.name': 'eth0', 'network.io.direction': 'receive' });
    expect(rx).toMatchObject({ kind: 'sum', monotonic: true, temporality: 'cumulative', unit: 'By', value: 4_100_000_000 });
    expect([rx.startTimeUnixNano, rx.timeUnixNano]).toEqual([ns(T + 0.25) - 86_400n * S, ns(T + 0.25)]);
    expect(one(points, 'mist.device.network.io', { 'network.io.direction': 'transmit' }).value).toBe(9_100_000_000);

    // The next basic message: a new uptime; everything it does not carry stays as it was, nothing drops to 0.
    m.advance(25);
    m.deliver('stats/devices', apBasic({ time: T + 25, uptime: 86_425 }));
    points = await m.collect();
    expect(named(points, 'mist.device.uptime').map((p) => [p.timeUnixNano, p.value, p.attributes])).toEqual([[ns(T + 25.01), 86_425, AP_IDENTITY]]);
    expect(one(points, 'mist.device.cpu.utilization')).toMatchObject({ value: 0.05, timeUnixNano: ns(T + 0.25) });
    expect(named(points, 'mist.device.radio.utilization').map((p) => p.value)).toEqual([0.31, 0.12]);
    expect(one(points, 'mist.device.network.io', { 'network.io.direction': 'receive' })).toMatchObject({ value: 4_100_000_000, timeUnixNano: ns(T + 0.25) });
  });

  it("a switch's cached messages (no _time, frozen counters) move its gauges, never its counters: no flat-then-jump, no false reset", async () => {
    const m = streamMetrics(T + 40);
    const port = { 'network.interface.name': 'ge-0/0/11.0', 'network.io.direction': 'transmit' };
    m.deliver('stats/devices', switchStats({ time: T, fresh: false, uptime: 1_209_600, txPkts: 19_758, rxPkts: 2_570, idle: 81 }));
    m.deliver('stats/devices', switchStats({ time: T + 20, fresh: true, uptime: 1_209_620, txPkts: 85_336, rxPkts: 10_204, idle: 78 }));
    m.deliver('stats/devices', switchStats({ time: T + 30, fresh: false, uptime: 1_209_630, txPkts: 19_758, rxPkts: 2_570, idle: 70 }));
    let points = await m.collect();

    // The latest report's CPU: the cached message's, at its last_seen.
    expect(named(points, 'mist.device.cpu.utilization').map((p) => [p.timeUnixNano, p.value])).toEqual([[ns(T + 30), 0.3]]);
    const fresh = one(points, 'mist.device.network.packets', port);
    expect(fresh).toMatchObject({ kind: 'sum', monotonic: true, unit: '{packet}', value: 85_336, timeUnixNano: ns(T + 20.347) });
    const start = fresh.startTimeUnixNano;
    expect(start).toBe(ns(T + 20.347) - 1_209_620n * S);
    // Switch byte counters read 0 on the stream: no bytes series for a switch; port state from fresh messages only.
    expect(named(points, 'mist.device.network.io')).toEqual([]);
    expect(named(points, 'mist.device.port.up').map((p) => [p.attributes['network.interface.name'], p.value, p.timeUnixNano])).toEqual([
      ['ge-0/0/11.0', 1, ns(T + 20.347)],
      ['ge-0/0/1.0', 0, ns(T + 20.347)],
    ]);
    expect(
      named(points, 'mist.device.temperature').map((p) => [p.attributes['mist.fpc'], p.attributes['mist.sensor'], p.value, p.unit, p.timeUnixNano]),
    ).toEqual([
      [0, 'CPU', 52, 'Cel', ns(T + 30)],
      [0, 'PSU 0', 39, 'Cel', ns(T + 30)],
    ]);
    expect(named(points, 'mist.device.poe.power').map((p) => [p.attributes['mist.fpc'], p.value, p.unit])).toEqual([[0, 212.5, 'W']]);
    expect(one(points, 'mist.device.poe.power.limit').value).toBe(740);

    // More cached messages, then the next fresh one: the count goes on from the same start.
    m.advance(150);
    m.deliver('stats/devices', switchStats({ time: T + 60, fresh: false, uptime: 1_209_660, txPkts: 19_758, rxPkts: 2_570 }));
    points = await m.collect();
    expect(one(points, 'mist.device.network.packets', port)).toMatchObject({ value: 85_336, startTimeUnixNano: start, timeUnixNano: ns(T + 20.347) });
    m.deliver('stats/devices', switchStats({ time: T + 190, fresh: true, uptime: 1_209_790, txPkts: 90_001, rxPkts: 11_000 }));
    points = await m.collect();
    expect(one(points, 'mist.device.network.packets', port)).toMatchObject({ value: 90_001, startTimeUnixNano: start, timeUnixNano: ns(T + 190.347) });
  });

  it('a reboot (uptime and counters go down) starts the counters again at the new boot time; no value is ever negative', async () => {
    const m = streamMetrics();
    const rx = { 'network.interface.name': 'eth0', 'network.io.direction': 'receive' };
    m.deliver('stats/devices', apFull({ time: T }));
    const before = one(await m.collect(), 'mist.device.network.io', rx);
    m.advance(300);
    m.deliver('stats/devices', apFull({ time: T + 300, uptime: 95, port_stat: { eth0: { up: true, speed: 1000, tx_bytes: 7_000, rx_bytes: 5_000 } } }));
    const points = await m.collect();
    expect(one(points, 'mist.device.uptime')).toMatchObject({ value: 95, timeUnixNano: ns(T + 300.25) });
    const after = one(points, 'mist.device.network.io', rx);
    expect(after).toMatchObject({ value: 5_000, startTimeUnixNano: ns(T + 300.25) - 95n * S, timeUnixNano: ns(T + 300.25) });
    expect(after.startTimeUnixNano).toBeGreaterThan(before.timeUnixNano);
    for (const p of points.filter((q) => q.kind === 'sum')) expect(p.value, p.name).toBeGreaterThanOrEqual(0);
  });

  it('a gateway: both cluster nodes, services processing units, WAN traffic by WAN name', async () => {
    const m = streamMetrics(T + 5);
    m.deliver('stats/devices', gatewayStats({ time: T }));
    const points = await m.collect();
    expect(named(points, 'mist.device.cpu.utilization').map((p) => [p.attributes['mist.node'], p.value])).toEqual([
      ['0', 0.3],
      ['1', 0.1],
    ]);
    expect(named(points, 'mist.device.memory.utilization').map((p) => [p.attributes['mist.node'], p.value])).toEqual([
      ['0', 0.61],
      ['1', 0.44],
    ]);
    expect(named(points, 'mist.device.spu.sessions').map((p) => [p.attributes['mist.node'], p.value, p.unit])).toEqual([
      ['0', 1210, '{session}'],
      ['1', 15, '{session}'],
    ]);
    expect(one(points, 'mist.device.spu.sessions.limit', { 'mist.node': '0' }).value).toBe(65_536);
    const wan = one(points, 'mist.device.network.io', { 'mist.port_usage': 'wan', 'network.io.direction': 'receive' });
    expect(wan).toMatchObject({ value: 412_000_000_000, unit: 'By', monotonic: true });
    expect(wan.attributes).toMatchObject({ 'mist.wan_name': 'internet', 'network.interface.name': 'ge-0/0/0.0', 'mist.device_type': 'gateway' });
    expect(one(points, 'mist.device.dhcp.leases', { 'mist.network': 'corp' }).value).toBe(57);
  });

  it('stops exporting the series of a device not heard from for 10 minutes', async () => {
    const m = streamMetrics();
    m.deliver('stats/devices', apFull({ time: T }));
    m.deliver('stats/devices', gatewayStats({ time: T }));
    expect(named(await m.collect(), 'mist.device.uptime')).toHaveLength(2);
    m.advance(9 * 60);
    m.deliver('stats/devices', gatewayStats({ time: T + 540 }));
    let points = await m.collect();
    // Still within 10 minutes: the AP's newest points again, as they were.
    expect(one(points, 'mist.device.uptime', { 'mist.device_type': 'ap' })).toMatchObject({ value: 86_400, timeUnixNano: ns(T + 0.25) });
    m.advance(61);
    points = await m.collect();
    expect(named(points, 'mist.device.uptime').map((p) => p.attributes['mist.device_type'])).toEqual(['gateway']);
    expect(points.filter((p) => p.attributes['mist.device_mac'] === '5c5b35000001')).toEqual([]);
  });

  it('stops after the time the operator set (stream.deviceTtlMs) instead', async () => {
    const m = streamMetrics(T + 1, { deviceTtlMs: 120_000 });
    m.deliver('stats/devices', apFull({ time: T }));
    expect(named(await m.collect(), 'mist.device.uptime')).toHaveLength(1);
    m.advance(119);
    expect(named(await m.collect(), 'mist.device.uptime')).toHaveLength(1);
    m.advance(1);
    expect(await m.collect()).toEqual([]);
  });
});

/** A site's wireless clients: MACs, hostnames, user names and IPs made up per client. */
function clientsOf(count: number, time: number, changes: (i: number) => Record<string, unknown> = () => ({})) {
  return Array.from({ length: count }, (_, i) => {
    const identifiers = { hostname: `laptop-${i}`, username: `user${i}@corp.example`, ip: `10.20.${i >> 8}.${i & 255}`, ip6: `fd00::${i.toString(16)}` };
    const stats = wirelessClient({
      mac: `aa00${i.toString(16).padStart(8, '0')}`,
      ...identifiers,
      time,
      ssid: i % 2 === 0 ? 'corp' : 'guest',
      band: i % 3 === 0 ? '24' : '5',
      rssi: -45 - (i % 40),
      snr: 10 + (i % 30),
      uptime: 3_600,
      tx_bytes: 1_000_000 + i,
      rx_bytes: 500_000 + i,
      ...changes(i),
    });
    return { ...stats, ...identifiers };
  });
}

describe('wireless clients', () => {
  it('become per-site, SSID and band aggregates: live client counts, RSSI/SNR distributions, traffic as the sum of increases; TTL and reconnects', async () => {
    const m = streamMetrics();
    const first = clientsOf(600, T);
    for (const c of first) m.deliver('stats/clients', c);
    let points = await m.collect();

    const groups = new Map<string, typeof first>();
    for (const c of first) groups.set(`${c.ssid}/${c.band}`, [...(groups.get(`${c.ssid}/${c.band}`) ?? []), c]);
    const count = named(points, 'mist.client.count');
    expect(count).toHaveLength(4);
    for (const p of count) {
      expect(p).toMatchObject({ kind: 'gauge', unit: '{client}' });
      expect(Object.keys(p.attributes).sort()).toEqual(['mist.band', 'mist.org_id', 'mist.site_id', 'mist.ssid']);
      expect(p.value).toBe(groups.get(`${p.attributes['mist.ssid']}/${p.attributes['mist.band']}`)!.length);
    }
    const rssi = one(points, 'mist.client.rssi', { 'mist.ssid': 'corp', 'mist.band': '5' });
    const corp5 = groups.get('corp/5')!;
    expect(rssi).toMatchObject({
      kind: 'histogram',
      unit: 'dBm',
      temporality: 'cumulative',
      count: corp5.length,
      explicitBounds: [-90, -85, -80, -75, -70, -67, -65, -60, -55, -50, -40],
    });
    expect(rssi.sum).toBe(corp5.reduce((n, c) => n + c.rssi, 0));
    expect(rssi.bucketCounts!.reduce((n, b) => n + b, 0)).toBe(corp5.length);
    expect(rssi.bucketCounts![0]).toBe(0); // nobody at or below -90 dBm
    expect(one(points, 'mist.client.snr', { 'mist.ssid': 'guest', 'mist.band': '24' })).toMatchObject({ unit: 'dB', count: groups.get('guest/24')!.length });
    // Every client connected an hour before the bridge started: what they counted before is not ours.
    const traffic = () => named(points, 'mist.client.network.io', { 'network.io.direction': 'transmit' }).reduce((n, p) => n + p.value!, 0);
    expect(traffic()).toBe(0);
    expect(one(points, 'mist.client.network.io', { 'mist.ssid': 'corp', 'mist.band': '5', 'network.io.direction': 'transmit' })).toMatchObject({
      kind: 'sum',
      monotonic: true,
      unit: 'By',
    });

    // A minute later each client has sent 1,000 bytes more; client 0 reconnected (uptime 5 s, its count back to 300);
    // a new client connected after the bridge started: its whole count is new.
    m.advance(60);
    const second = clientsOf(600, T + 60, (i) => (i === 0 ? { uptime: 5, tx_bytes: 300 } : { uptime: 3_660, tx_bytes: 1_001_000 + i }));
    for (const c of second) m.deliver('stats/clients', c);
    m.deliver(
      'stats/clients',
      wirelessClient({ mac: 'bb0000000001', hostname: 'newcomer', time: T + 60, ssid: 'corp', band: '5', uptime: 10, tx_bytes: 4_000 }),
    );
    points = await m.collect();
    expect(traffic()).toBe(599 * 1_000 + 300 + 4_000);
    expect(named(points, 'mist.client.count').reduce((n, p) => n + p.value!, 0)).toBe(601);
    // Cumulative distribution: this collection's clients added to the last one's.
    expect(one(points, 'mist.client.rssi', { 'mist.ssid': 'corp', 'mist.band': '5' }).count).toBe(2 * corp5.length + 1);

    // Five minutes of silence (their _ttl is 300 s): every client is forgotten; each set says 0 once, then ends.
    m.advance(301);
    points = await m.collect();
    expect(named(points, 'mist.client.count').map((p) => p.value)).toEqual([0, 0, 0, 0]);
    expect(traffic()).toBe(599 * 1_000 + 300 + 4_000);
    points = await m.collect();
    expect(named(points, 'mist.client.count')).toEqual([]);
    expect(m.subjects.size.subjects).toBe(0);
  });
});

describe('no client identifier on any exported metric', () => {
  it('scans every attribute of every point for the MACs, hostnames, user names and IPs of the clients', async () => {
    const m = streamMetrics();
    const clients = clientsOf(300, T);
    m.deliver('stats/devices', apBasic({ time: T }));
    m.deliver('stats/devices', apFull({ time: T }));
    m.deliver('stats/devices', switchStats({ time: T, fresh: true, uptime: 1000, txPkts: 1, rxPkts: 2 }));
    m.deliver('stats/devices', gatewayStats({ time: T }));
    for (const c of clients) m.deliver('stats/clients', c);
    m.advance(60);
    for (const c of clientsOf(300, T + 60)) m.deliver('stats/clients', c);
    const points = [...(await m.collect()), ...(await m.collect())];
    expect(named(points, 'mist.client.count').length).toBeGreaterThan(0);
    expect(named(points, 'mist.device.uptime').length).toBeGreaterThan(0);

    const identifiers = clients.flatMap((c) => [c.mac, c.mac.toUpperCase(), c.mac.replace(/(..)(?!$)/g, '$1:'), c.hostname, c.username, c.ip, c.ip6]);
    const attributeTexts = points.flatMap((p) => [...Object.keys(p.attributes), ...Object.values(p.attributes).map(String)]);
    for (const id of identifiers) {
      const hit = attributeTexts.find((t) => t.includes(String(id)));
      expect(hit, `client identifier ${String(id)}`).toBeUndefined();
    }
    for (const key of new Set(points.flatMap((p) => Object.keys(p.attributes)))) expect(key).not.toMatch(/client_mac|hostname|user|(^|\.)ip6?$/);
  });
});

describe('stream messages off the wire (the stand-in of Mist) into metrics', () => {
  it('maps each decoded message by its kind with its site from the channel, data as a JSON string or inline', async () => {
    const standIn = await MistWsStandIn.start({ token: 'tok-stream-metrics' });
    const m = streamMetrics(T + 2);
    const client = new StreamClient({
      settings: loadStreamSettings({ MIST_API_TOKEN: 'tok-stream-metrics', MIST_WS_URL: standIn.url, MIST_SITE_IDS: SITE }),
      listSites: () => Promise.reject(new Error('sites are fixed')),
      // What the processing stage does with a stream batch: map by (stream, kind) with the channel's site as context.
      onMessage: (message) => m.deliver(message.kind as 'stats/devices' | 'stats/clients', message.document, { site_id: message.siteId! }),
      log: createLogger('error', () => {}),
    });
    closers.push(async () => {
      await client.stop(Date.now() + 1_000);
      await standIn.close();
    });
    client.start();
    await vi.waitFor(() => expect(standIn.subscriptions()).toHaveLength(2), { timeout: 5_000, interval: 10 });
    standIn.publish(`/sites/${SITE}/stats/devices`, apFull({ time: T }));
    standIn.publish(`/sites/${SITE}/stats/clients`, wirelessClient({ time: T }), { inline: true });
    let points: ReceivedPoint[] = [];
    await vi.waitFor(
      async () => {
        points = await m.collect();
        expect(named(points, 'mist.client.count')).toHaveLength(1);
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(one(points, 'mist.device.cpu.utilization').attributes).toMatchObject({ 'mist.site_id': SITE, 'mist.device_name': 'ap-lobby' });
    expect(one(points, 'mist.client.count')).toMatchObject({ value: 1, attributes: { 'mist.site_id': SITE, 'mist.ssid': 'corp', 'mist.band': '5' } });
  });
});

const corpus = join(packagePath(), '..', 'shared', 'mist-api-corpus');
const present = existsSync(corpus);
if (!present) console.warn(`stream corpus test skipped: ${corpus} not found`);

/** Stats documents of the corpus: REST stats lists, and stream frames (their data parsed again). */
function corpusDocuments(): { file: string; kind: 'stats/devices' | 'stats/clients'; document: Record<string, unknown> }[] {
  const out: ReturnType<typeof corpusDocuments> = [];
  for (const file of readdirSync(corpus).sort()) {
    const kind = /stats-devices/.test(file) ? 'stats/devices' : /stats-clients/.test(file) ? 'stats/clients' : undefined;
    if (kind === undefined) continue;
    const body = JSON.parse(readFileSync(join(corpus, file), 'utf8')) as unknown;
    if (Array.isArray(body)) for (const document of body as Record<string, unknown>[]) out.push({ file, kind, document });
    else {
      const frame = body as Record<string, unknown>;
      if (typeof frame.data === 'string') out.push({ file, kind, document: JSON.parse(frame.data) as Record<string, unknown> });
      // The switch excerpt wraps a cached and a fresh message of one device, named beside them.
      for (const key of ['cached_message', 'fresh_message']) {
        if (frame[key]) out.push({ file, kind, document: { mac: frame.device_mac, type: 'switch', ...(frame[key] as Record<string, unknown>) } });
      }
    }
  }
  return out;
}

describe.skipIf(!present)('the Mist API corpus stats documents through mapping and signals', () => {
  it('maps and exports every one: no exception, no NaN, plausible times, starts before their points', async () => {
    const documents = corpusDocuments();
    expect(documents.length).toBeGreaterThanOrEqual(7);
    const m = streamMetrics(Date.now() / 1000);
    for (const { kind, document } of documents) m.deliver(kind, document, { site_id: SITE });
    m.advance(60);
    const points = [...(await m.collect()), ...(await m.collect())];
    const names = new Set(points.map((p) => p.name));
    for (const name of [
      'mist.device.uptime',
      'mist.device.cpu.utilization',
      'mist.device.radio.utilization',
      'mist.device.network.packets',
      'mist.client.count',
      'mist.client.rssi',
    ]) {
      expect(names, name).toContain(name);
    }
    const min = BigInt(Date.UTC(2015, 0, 1)) * 1_000_000n;
    const max = BigInt(Date.UTC(2100, 0, 1)) * 1_000_000n;
    for (const p of points) {
      const where = `${p.name} ${JSON.stringify(p.attributes)}`;
      for (const v of [p.value, p.sum].filter((x) => x !== undefined)) expect(Number.isFinite(v), where).toBe(true);
      expect(p.timeUnixNano >= min && p.timeUnixNano < max, `${where}: time ${p.timeUnixNano}`).toBe(true);
      if (p.kind === 'sum') {
        expect(p.startTimeUnixNano <= p.timeUnixNano && p.startTimeUnixNano >= min, `${where}: start ${p.startTimeUnixNano}`).toBe(true);
        expect(p.value!, where).toBeGreaterThanOrEqual(0);
      }
      expect(p.attributes['mist.site_id'], where).toBe(SITE);
    }
  });
});
