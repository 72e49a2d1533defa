import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pointAttributes } from './attributes.js';
import { compileMapping } from './compile.js';
import { loadMappings } from './loader.js';
import { mappingFileSchema } from './schema.js';

const RECEIVED = 1_750_100_000_123_456_789n;

function compile(yaml: string) {
  return compileMapping(mappingFileSchema.parse(parse(yaml, { merge: true })));
}

const { engine } = loadMappings();

describe('event time', () => {
  const t = compile(`topic: t
description: d
time: [timestamp, last_seen]
log: { event_name: mist.t }
`);
  const timeOf = (event: Record<string, unknown>) => {
    const log = t.map('t', event, RECEIVED).logs[0]!;
    return [log.timeNs, log.attributes['mist.timestamp_source']];
  };

  // A double holds a 2025 epoch to the microsecond: the text JSON carried is what is kept.
  it('reads seconds (int and float), 13-digit milliseconds and numeric strings exactly', () => {
    expect(timeOf({ timestamp: 1750000000 })).toEqual([1_750_000_000_000_000_000n, undefined]);
    expect(timeOf({ timestamp: 1749826902.0342431 })).toEqual([1_749_826_902_034_243_000n, undefined]);
    expect(timeOf({ timestamp: 1749084229888 })).toEqual([1_749_084_229_888_000_000n, undefined]);
    expect(timeOf({ timestamp: '1695194041.635342' })).toEqual([1_695_194_041_635_342_000n, undefined]);
  });

  it('reads ISO-8601 without a zone as UTC, from the next field when the first is unusable', () => {
    expect(timeOf({ last_seen: '2025-06-05T04:00:00' })).toEqual([BigInt(Date.UTC(2025, 5, 5, 4)) * 1_000_000n, undefined]);
    expect(timeOf({ timestamp: 'soon', last_seen: '2025-06-05T04:00:00.5' })).toEqual([BigInt(Date.UTC(2025, 5, 5, 4)) * 1_000_000n + 500_000_000n, undefined]);
  });

  it('falls back to the receipt time, marked, when the time is missing, zero or implausible', () => {
    for (const event of [{}, { timestamp: 0 }, { timestamp: 1 }, { timestamp: null }, { timestamp: 'yesterday' }, { timestamp: 9e12 * 1000 }]) {
      expect(timeOf(event)).toEqual([RECEIVED, 'receipt']);
    }
  });

  it('gives metrics and trace contributions the same time as the log', () => {
    const out = engine.map('webhook', 'client-latency', { site_id: 's', avg_dhcp: 0.5, timestamp: 1750006200 }, RECEIVED);
    expect(new Set(out.metrics.map((m) => m.timeNs))).toEqual(new Set([1_750_006_200_000_000_000n]));
  });
});

describe('real-world values', () => {
  it('"true"/"false" strings and JSON booleans are the same value to metrics and conditions', () => {
    const t = compile(`topic: t
description: d
log: { event_name: mist.t, severity: { default: INFO, rules: [{ when: { field: matched, equals: true }, level: WARN }] } }
metrics:
  - { name: mist.t.ok, instrument: gauge, unit: "1", description: d, value: matched, attributes: { mist.m: { field: matched, map: { "true": true, "false": false } } } }
`);
    for (const [matched, number, level] of [
      [true, 1, 'WARN'],
      ['true', 1, 'WARN'],
      ['TRUE', 1, 'WARN'],
      [false, 0, 'INFO'],
      ['false', 0, 'INFO'],
    ] as const) {
      const out = t.map('t', { matched }, RECEIVED);
      expect(out.logs[0]!.severityText).toBe(level);
      expect(out.metrics[1]).toMatchObject({ value: number, attributes: { 'mist.m': number === 1 } });
    }
  });

  it('numeric strings become numbers; text, objects and NaN never become points', () => {
    const t = compile(`topic: t
description: d
log: false
metrics: [{ name: mist.t.v, instrument: gauge, unit: s, description: d, value: v, scale: 0.001 }]
`);
    const values = ['12.5', 12.5, ' 7 ', 'n/a', '', null, {}, [], Number.NaN, Infinity].map((v) =>
      t
        .map('t', { v }, RECEIVED)
        .metrics.slice(1)
        .map((m) => m.value),
    );
    expect(values).toEqual([[0.0125], [0.0125], [0.007], [], [], [], [], [], [], []]);
  });

  it('compares enums in any case (device-events ev_type NOTICE / notice / Warn)', () => {
    const sev = (ev_type: string) =>
      engine.map('webhook', 'device-events', { type: 'AP_CONFIGURED', ev_type, timestamp: 1750000000 }, RECEIVED).logs[0]!.severityText;
    expect([sev('NOTICE'), sev('notice'), sev('WARN'), sev('Warning')]).toEqual(['INFO', 'INFO', 'WARN', 'WARN']);
    const counter = engine.map('webhook', 'device-events', { type: 'AP_CONFIGURED', ev_type: 'NOTICE' }, RECEIVED).metrics[0]!;
    expect(counter.attributes['mist.severity']).toBe('notice');
  });

  it('keeps fields the schema does not declare, structured, in the log attributes', () => {
    const log = engine.map(
      'webhook',
      'alarms',
      { type: 'x', severity: 'warn', impacted_entities: [{ entity_mac: 'aa', port_id: 'ge-0/0/1' }], email_content: { Status: 'open' }, timestamp: 1750000000 },
      RECEIVED,
    ).logs[0]!;
    expect(log.attributes['mist.impacted_entities']).toEqual([{ entity_mac: 'aa', port_id: 'ge-0/0/1' }]);
    expect(log.attributes['mist.email_content']).toEqual({ Status: 'open' });
    expect(log.attributes['event.name']).toBe('mist.alarm');
  });

  it('maps an unknown alarm or device-event type with a default severity', () => {
    expect(engine.map('webhook', 'alarms', { type: 'alarm_from_2030', timestamp: 1750000000 }, RECEIVED).logs[0]!.severityText).toBe('WARN');
    expect(engine.map('webhook', 'device-events', { type: 'AP_FROM_2030', timestamp: 1750000000 }, RECEIVED).logs[0]!.severityText).toBe('INFO');
  });

  it('reads a key containing dots (mxedge-events "sys_info.usage") and the nested form alike', () => {
    const flat = engine.map('webhook', 'mxedge-events', { type: 'ME_RESOURCE_USAGE', 'sys_info.usage': { severity: 'critical', resource: 'cpu' } }, RECEIVED);
    const nested = engine.map(
      'webhook',
      'mxedge-events',
      { type: 'ME_RESOURCE_USAGE', sys_info: { usage: { severity: 'critical', resource: 'cpu' } } },
      RECEIVED,
    );
    expect([flat.logs[0]!.severityText, nested.logs[0]!.severityText]).toEqual(['ERROR', 'ERROR']);
    expect(flat.metrics[0]!.attributes['mist.severity']).toBe('critical');
  });

  it('does not follow prototype keys of a hostile body', () => {
    const t = compile(`topic: t
description: d
log: { event_name: mist.t, body: [constructor.name, __proto__.x, text] }
`);
    expect(t.map('t', JSON.parse('{"__proto__": {"x": "polluted"}, "text": "plain"}') as Record<string, unknown>, RECEIVED).logs[0]!.body).toBe('polluted');
    expect(t.map('t', { text: 'plain' }, RECEIVED).logs[0]!.body).toBe('plain');
  });
});

describe('metrics', () => {
  it('records one point per element with `each`, reading the event with $. and the element time', () => {
    const out = engine.map(
      'webhook',
      'occupancy-alerts',
      {
        site_id: 'site-1',
        alert_events: [
          { zone_id: 'z1', zone_name: 'A', current_occupancy: 5, occupancy_limit: 4, type: 'COMPLIANCE-VIOLATION', timestamp: 1750000001 },
          { zone_id: 'z2', zone_name: 'B', current_occupancy: '2', occupancy_limit: 9, type: 'COMPLIANCE-OK', timestamp: 1750000002 },
          'not an object',
        ],
      },
      RECEIVED,
    );
    const occupancy = out.metrics.filter((m) => m.name === 'mist.zone.occupancy');
    expect(occupancy).toEqual([
      {
        name: 'mist.zone.occupancy',
        value: 5,
        timeNs: 1_750_000_001_000_000_000n,
        attributes: { 'mist.site_id': 'site-1', 'mist.zone_id': 'z1', 'mist.zone_name': 'A' },
      },
      {
        name: 'mist.zone.occupancy',
        value: 2,
        timeNs: 1_750_000_002_000_000_000n,
        attributes: { 'mist.site_id': 'site-1', 'mist.zone_id': 'z2', 'mist.zone_name': 'B' },
      },
    ]);
    expect(out.logs[0]!.severityText).toBe('WARN');
  });

  it('counts only matching events with `when`, and maps values by rules', () => {
    const stop = engine.map('webhook', 'nac-accounting', { type: 'NAC_ACCOUNTING_STOP', rx_bytes: 10, tx_bytes: 20, timestamp: 1750000000000 }, RECEIVED);
    const update = engine.map('webhook', 'nac-accounting', { type: 'NAC_ACCOUNTING_UPDATE', rx_bytes: 10, tx_bytes: 20, timestamp: 1750000000000 }, RECEIVED);
    expect(stop.metrics.filter((m) => m.name === 'mist.nac.session.io').map((m) => [m.value, m.attributes['network.io.direction']])).toEqual([
      [10, 'receive'],
      [20, 'transmit'],
    ]);
    expect(update.metrics.filter((m) => m.name === 'mist.nac.session.io')).toEqual([]);
    const up = (type: string) => engine.map('webhook', 'device-updowns', { type }, RECEIVED).metrics.find((m) => m.name === 'mist.device.up')?.value;
    expect([up('AP_DISCONNECTED'), up('AP_CONNECTED'), up('SW_RESTARTED'), up('gw_disconnected'), up('AP_SOMETHING')]).toEqual([0, 1, 1, 0, undefined]);
  });

  it('keeps per-client identifiers out of every built-in metric', () => {
    const event = { mac: 'client-mac', username: 'user', id: 'event-id', client_ip: '10.0.0.1', type: 'T', site_id: 's' };
    for (const topic of ['client-join', 'client-sessions', 'nac-events', 'nac-accounting', 'zone', 'rssizone', 'location', 'alarms']) {
      for (const m of engine.map('webhook', topic, event, RECEIVED).metrics) {
        expect(Object.values(m.attributes), `${topic} ${m.name}`).not.toEqual(expect.arrayContaining(['client-mac', 'user', 'event-id', '10.0.0.1']));
      }
    }
  });
});

describe('trace sections', () => {
  it('turns one section or a list into TraceContributions with raw values and AnyValue attributes', () => {
    const single = compile(`topic: client-join
description: d
log: false
trace:
  role: join
  values: { client_mac: mac, connect: connect_float, missing: nope }
  attributes: { mist.site_id: site_id, mist.tags: tags }
`);
    const event = { mac: 'aa', connect_float: 1750000000.25, site_id: 's', tags: ['x', null], timestamp: 1750000001 };
    expect(single.map('client-join', event, RECEIVED).trace).toEqual([
      {
        topic: 'client-join',
        role: 'join',
        timeNs: 1_750_000_001_000_000_000n,
        values: { client_mac: 'aa', connect: 1750000000.25 },
        attributes: { 'mist.site_id': 's', 'mist.tags': ['x'] },
      },
    ]);

    const list = compile(`topic: nac-events
description: d
log: false
trace:
  - { role: auth, when: { field: type, matches: "PERMIT|DENY" }, values: { client_mac: mac } }
  - { role: ip, when: { field: type, equals: NAC_CLIENT_IP_ASSIGNED }, values: { ip: client_ip } }
`);
    expect(list.map('nac-events', { type: 'NAC_CLIENT_DENY', mac: 'bb' }, RECEIVED).trace.map((c) => [c.role, c.values, c.timeNs])).toEqual([
      ['auth', { client_mac: 'bb' }, RECEIVED],
    ]);
    expect(list.map('nac-events', { type: 'nac_client_ip_assigned', client_ip: '10.0.0.2' }, RECEIVED).trace.map((c) => c.role)).toEqual(['ip']);
  });
});

describe('unknown topics and malformed events', () => {
  it('maps an event that is not an object to a flagged INFO log at receipt time', () => {
    const out = engine.map('webhook', 'alarms', 'not an object', RECEIVED);
    expect(out.logs[0]).toMatchObject({ severityText: 'INFO', timeNs: RECEIVED, observedNs: RECEIVED });
    expect(out.logs[0]!.attributes).toMatchObject({ 'mist.value': 'not an object', 'mist.malformed_event': true, 'mist.timestamp_source': 'receipt' });
    expect(out.metrics.map((m) => m.name)).toEqual(['mist.events']);
  });
});

describe('stream files: sources, kinds, objects as collections, subjects', () => {
  const SITE = { site_id: 'site-from-channel' };

  it('iterates the values of an object with `each`, its key as $key (mappable), and nests levels with $parent', () => {
    const t = compile(`source: stream
kind: stats/devices
description: d
log: false
metrics:
  - name: mist.t.util
    instrument: gauge
    unit: "1"
    description: d
    each: radio_stat
    when: { not: { field: disabled, equals: true } }
    value: util_all
    scale: 0.01
    attributes: { mist.band: { field: $key, map: { band_24: "24", band_5: "5" } }, mist.site_id: $context.site_id }
  - name: mist.t.temp
    instrument: gauge
    unit: Cel
    description: d
    each: [module_stat, temperatures]
    value: celsius
    attributes: { mist.fpc: [$parent.fpc_idx, $parent.$key], mist.sensor: name, mist.index: $key }
  - name: mist.t.port
    instrument: gauge
    unit: "1"
    description: d
    each: if_stat
    value: up
    attributes: { network.interface.name: $key }
`);
    const event = {
      radio_stat: { band_24: { util_all: 31 }, band_5: { util_all: 12 }, band_6: { util_all: 99, disabled: true }, band_60: { util_all: 1 } },
      module_stat: [
        {
          fpc_idx: 2,
          temperatures: [
            { name: 'CPU', celsius: 52 },
            { name: 'PSU', celsius: 39 },
          ],
        },
        { temperatures: [{ name: 'CPU', celsius: 49 }] },
      ],
      if_stat: { 'ge-0/0/1.0': { up: true }, 'ge-0/0/2.0': { up: false } },
      _time: 1750000000,
    };
    const out = t.map('stats/devices', event, RECEIVED, SITE).metrics;
    expect(out.filter((m) => m.name === 'mist.t.util').map((m) => [m.value, m.attributes])).toEqual([
      [0.31, { 'mist.band': '24', 'mist.site_id': 'site-from-channel' }],
      [0.12, { 'mist.band': '5', 'mist.site_id': 'site-from-channel' }],
      [0.01, { 'mist.band': 'band_60', 'mist.site_id': 'site-from-channel' }],
    ]);
    expect(out.filter((m) => m.name === 'mist.t.temp').map((m) => [m.value, m.attributes])).toEqual([
      [52, { 'mist.fpc': 2, 'mist.sensor': 'CPU', 'mist.index': '0' }],
      [39, { 'mist.fpc': 2, 'mist.sensor': 'PSU', 'mist.index': '1' }],
      [49, { 'mist.fpc': '1', 'mist.sensor': 'CPU', 'mist.index': '0' }],
    ]);
    expect(out.filter((m) => m.name === 'mist.t.port').map((m) => [m.value, m.attributes['network.interface.name']])).toEqual([
      [1, 'ge-0/0/1.0'],
      [0, 'ge-0/0/2.0'],
    ]);
    // A scalar, null or missing collection has no elements.
    for (const radio_stat of [5, null, 'x', undefined]) expect(t.map('stats/devices', { radio_stat }, RECEIVED).metrics).toEqual([]);
  });

  it('scales, offsets and divides: percent → ratio, idle → utilisation, used ÷ total', () => {
    const t = compile(`source: stream
kind: stats/devices
description: d
log: false
metrics:
  - { name: mist.t.cpu, instrument: gauge, unit: "1", description: d, value: cpu_util, scale: 0.01 }
  - { name: mist.t.cpu, instrument: gauge, unit: "1", description: d, value: cpu_stat.idle, scale: -0.01, offset: 1 }
  - { name: mist.t.mem, instrument: gauge, unit: "1", description: d, value: mem_used_kb, divide_by: mem_total_kb }
  - { name: mist.t.used, instrument: gauge, unit: By, description: d, value: mem_used_kb, scale: 1024 }
`);
    const values = (event: Record<string, unknown>) => t.map('stats/devices', event, RECEIVED).metrics.map((m) => [m.name, m.value]);
    expect(values({ cpu_util: 5, cpu_stat: { idle: 81 }, mem_used_kb: 420_000, mem_total_kb: 1_000_000 })).toEqual([
      ['mist.t.cpu', 0.05],
      ['mist.t.cpu', 0.19],
      ['mist.t.mem', 0.42],
      ['mist.t.used', 430_080_000],
    ]);
    // No total (or a total of 0): no ratio rather than Infinity.
    expect(values({ mem_used_kb: 5, mem_total_kb: 0 })).toEqual([['mist.t.used', 5120]]);
  });

  it('gives an observed counter the uptime it ran for (its start is the point time minus it), only a number ≥ 0', () => {
    const t = compile(`source: stream
kind: stats/devices
description: d
time: [_time, last_seen]
log: false
metrics:
  - { name: mist.t.io, instrument: counter, counter: observed, uptime: $.uptime, unit: By, description: d, each: port_stat, value: rx_bytes, attributes: { network.interface.name: $key } }
`);
    const [point] = t.map('stats/devices', { uptime: 86400.25, _time: 1750000000.5, port_stat: { eth0: { rx_bytes: 10 } } }, RECEIVED).metrics;
    expect(point).toMatchObject({ value: 10, timeNs: 1_750_000_000_500_000_000n, uptime: 86400.25 });
    for (const uptime of [undefined, -1, 'soon']) {
      expect(t.map('stats/devices', { uptime, last_seen: 1750000000, port_stat: { eth0: { rx_bytes: 10 } } }, RECEIVED).metrics[0]!.uptime).toBeUndefined();
    }
  });

  it("completes an event with its subject's remembered attributes, and forgets a subject after its TTL", () => {
    const t = compile(`source: stream
kind: stats/devices
description: d
time: [_time, last_seen]
log: false
subject:
  key: mac
  ttl: 600
  attributes: { mist.site_id: [$context.site_id, site_id], mist.device_mac: mac, mist.device_name: name, mist.device_type: type }
metrics:
  - { name: mist.t.uptime, instrument: gauge, unit: s, description: d, value: uptime }
  - { name: mist.t.band, instrument: gauge, unit: "1", description: d, each: radio_stat, value: util_all, attributes: { mist.band: $key } }
`);
    const S = 1_000_000_000n;
    const map = (event: Record<string, unknown>, receivedNs = RECEIVED) => t.map('stats/devices', event, receivedNs, SITE).metrics;
    const basicFirst = map({ mac: 'ap1', uptime: 10, _time: 1750000000 });
    expect(basicFirst[0]).toMatchObject({
      attributes: {},
      subject: { key: 'ap1', ttlNs: 600n * S, attributes: { 'mist.device_mac': 'ap1', 'mist.site_id': 'site-from-channel' } },
    });
    const full = map({ mac: 'ap1', name: 'lobby', type: 'ap', uptime: 11, radio_stat: { band_5: { util_all: 3 } }, _time: 1750000001 });
    const lobby = { 'mist.device_mac': 'ap1', 'mist.device_name': 'lobby', 'mist.device_type': 'ap', 'mist.site_id': 'site-from-channel' };
    expect(full.map((m) => [m.name, pointAttributes(m)])).toEqual([
      ['mist.t.uptime', lobby],
      ['mist.t.band', { ...lobby, 'mist.band': 'band_5' }],
    ]);
    // The series key tells a subject's series of one metric apart by their own attributes only.
    const again = map({ mac: 'ap1', uptime: 12, radio_stat: { band_5: { util_all: 4 }, band_24: { util_all: 5 } }, _time: 1750000002 });
    expect(again.map((m) => m.seriesKey)).toEqual([full[0]!.seriesKey, full[1]!.seriesKey, expect.any(String)]);
    expect(new Set(again.map((m) => m.seriesKey)).size).toBe(3);
    // One attributes object for the subject while they stay the same.
    expect(full[0]!.subject!.attributes).toBe(full[1]!.subject!.attributes);
    // The next basic message carries only the uptime, and keeps the identity the full one gave.
    const basic = map({ mac: 'ap1', uptime: 36, _time: 1750000026 }, RECEIVED + 25n * S);
    expect(basic.map((m) => [m.name, pointAttributes(m)])).toEqual([['mist.t.uptime', lobby]]);
    expect(basic[0]!.subject!.attributes).toBe(full[0]!.subject!.attributes);
    // Another device is another subject; past its TTL a subject is forgotten.
    expect(pointAttributes(map({ mac: 'ap2', uptime: 1, _time: 1750000030 }, RECEIVED + 30n * S)[0]!)).toEqual({
      'mist.device_mac': 'ap2',
      'mist.site_id': 'site-from-channel',
    });
    expect(pointAttributes(map({ mac: 'ap1', uptime: 700, _time: 1750000700 }, RECEIVED + 700n * S)[0]!)).toEqual({
      'mist.device_mac': 'ap1',
      'mist.site_id': 'site-from-channel',
    });
    // An event without the subject's key has no metrics: they would belong to no one.
    expect(map({ name: 'no-mac', uptime: 5 })).toEqual([]);
  });

  it("takes a subject's TTL from a field, its default when it is missing or not a positive number", () => {
    const t = compile(`source: stream
kind: stats/clients
description: d
log: false
subject: { key: mac, ttl: { field: _ttl, default: 300 } }
metrics: [{ name: mist.t.count, instrument: gauge, aggregate: count, unit: "{client}", description: d }]
`);
    const ttl = (_ttl: unknown) => t.map('stats/clients', { mac: 'c1', _ttl }, RECEIVED).metrics[0]!.subject!.ttlNs / 1_000_000_000n;
    expect([ttl(250), ttl('120'), ttl(undefined), ttl(0), ttl(-5), ttl('x')]).toEqual([250n, 120n, 300n, 300n, 300n, 300n]);
  });
});

describe('the engine, by source and kind', () => {
  it('routes stream messages to their kind, counts no mist.events for them, and maps an unmapped kind to nothing', () => {
    const out = engine.map('stream', 'stats/devices', { mac: 'ap1', type: 'ap', uptime: 10, _time: 1750000000 }, RECEIVED, { site_id: 's1' });
    expect(out.metrics.map((m) => m.name)).toEqual(['mist.device.uptime']);
    expect(out.logs).toEqual([]);
    expect(engine.map('stream', 'stats/mxedges', { mac: 'me1' }, RECEIVED)).toEqual({ logs: [], metrics: [], trace: [] });
    expect(engine.map('stream', 'stats/devices', 'not an object', RECEIVED)).toEqual({ logs: [], metrics: [], trace: [] });
    // A webhook topic is never a stream kind, nor the other way round.
    expect(engine.map('webhook', 'stats/devices', { mac: 'ap1', uptime: 1 }, RECEIVED).metrics.map((m) => m.name)).toEqual(['mist.events']);
  });
});
