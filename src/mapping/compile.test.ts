import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
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
    for (const [matched, number, level] of [[true, 1, 'WARN'], ['true', 1, 'WARN'], ['TRUE', 1, 'WARN'], [false, 0, 'INFO'], ['false', 0, 'INFO']] as const) {
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
    const values = ['12.5', 12.5, ' 7 ', 'n/a', '', null, {}, [], Number.NaN, Infinity].map((v) => t.map('t', { v }, RECEIVED).metrics.slice(1).map((m) => m.value));
    expect(values).toEqual([[0.0125], [0.0125], [0.007], [], [], [], [], [], [], []]);
  });

  it('compares enums in any case (device-events ev_type NOTICE / notice / Warn)', () => {
    const sev = (ev_type: string) => engine.map('webhook', 'device-events', { type: 'AP_CONFIGURED', ev_type, timestamp: 1750000000 }, RECEIVED).logs[0]!.severityText;
    expect([sev('NOTICE'), sev('notice'), sev('WARN'), sev('Warning')]).toEqual(['INFO', 'INFO', 'WARN', 'WARN']);
    const counter = engine.map('webhook', 'device-events', { type: 'AP_CONFIGURED', ev_type: 'NOTICE' }, RECEIVED).metrics[0]!;
    expect(counter.attributes['mist.severity']).toBe('notice');
  });

  it('keeps fields the schema does not declare, structured, in the log attributes', () => {
    const log = engine.map('webhook', 'alarms', { type: 'x', severity: 'warn', impacted_entities: [{ entity_mac: 'aa', port_id: 'ge-0/0/1' }], email_content: { Status: 'open' }, timestamp: 1750000000 }, RECEIVED).logs[0]!;
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
    const nested = engine.map('webhook', 'mxedge-events', { type: 'ME_RESOURCE_USAGE', sys_info: { usage: { severity: 'critical', resource: 'cpu' } } }, RECEIVED);
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
    const out = engine.map(      'webhook', 'occupancy-alerts',
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
      { name: 'mist.zone.occupancy', value: 5, timeNs: 1_750_000_001_000_000_000n, attributes: { 'mist.site_id': 'site-1', 'mist.zone_id': 'z1', 'mist.zone_name': 'A' } },
      { name: 'mist.zone.occupancy', value: 2, timeNs: 1_750_000_002_000_000_000n, attributes: { 'mist.site_id': 'site-1', 'mist.zone_id': 'z2', 'mist.zone_name': 'B' } },
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
      { topic: 'client-join', role: 'join', timeNs: 1_750_000_001_000_000_000n, values: { client_mac: 'aa', connect: 1750000000.25 }, attributes: { 'mist.site_id': 's', 'mist.tags': ['x'] } },
    ]);

    const list = compile(`topic: nac-events
description: d
log: false
trace:
  - { role: auth, when: { field: type, matches: "PERMIT|DENY" }, values: { client_mac: mac } }
  - { role: ip, when: { field: type, equals: NAC_CLIENT_IP_ASSIGNED }, values: { ip: client_ip } }
`);
    expect(list.map('nac-events', { type: 'NAC_CLIENT_DENY', mac: 'bb' }, RECEIVED).trace.map((c) => [c.role, c.values, c.timeNs])).toEqual([['auth', { client_mac: 'bb' }, RECEIVED]]);
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
