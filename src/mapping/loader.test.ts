import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/support/temp-dirs.js';
import { loadMappings, MappingError } from './loader.js';

const tempDir = useTempDirs('mist-mappings-');
function dirWith(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof MappingError) return err.problems;
    throw err;
  }
  throw new Error('expected a MappingError');
}

const NS = 1_750_000_000_000_000_000n;

describe('loadMappings', () => {
  it('loads every built-in file and a default for unknown topics', () => {
    const { sources, engine } = loadMappings();
    expect(sources.map((s) => s.spec.topic)).toEqual(expect.arrayContaining(['alarms', 'device-updowns', 'client-latency', 'vbeacon', '*']));
    const out = engine.map('webhook', 'never-heard-of-it', { type: 'X', timestamp: 1750000000 }, NS);
    expect(out.logs).toHaveLength(1);
    expect(out.logs[0]!.eventName).toBe('mist.event');
  });

  it('adds a topic from a file in the custom directory', () => {
    const dir = dirWith({
      'door.yaml': `topic: door-sensors
description: Door events
log: { event_name: mist.door.event, body: [text], severity: { default: INFO, rules: [{ when: { field: state, equals: forced }, level: ERROR }] } }
metrics:
  - { name: mist.door.openings, instrument: counter, unit: "{opening}", description: Door openings, attributes: { mist.door: door } }
`,
    });
    const { engine, sources } = loadMappings({ customDir: dir });
    expect(sources.find((s) => s.spec.topic === 'door-sensors')?.origin).toBe('custom');
    const out = engine.map('webhook', 'door-sensors', { state: 'FORCED', door: 'north', text: 'forced open', timestamp: 1750000000 }, NS);
    expect(out.logs[0]).toMatchObject({ eventName: 'mist.door.event', severityText: 'ERROR', body: 'forced open' });
    expect(out.metrics.map((m) => m.name)).toEqual(['mist.events', 'mist.door.openings']);
  });

  it('lets a custom file replace a built-in topic as a whole', () => {
    const dir = dirWith({ 'my-alarms.yaml': 'topic: alarms\nreplaces: alarms\ndescription: mine\nlog: false\n' });
    const { engine, sources } = loadMappings({ customDir: dir });
    expect(sources.filter((s) => s.spec.topic === 'alarms').map((s) => s.origin)).toEqual(['custom']);
    const out = engine.map('webhook', 'alarms', { type: 'x', severity: 'critical', count: 5, timestamp: 1750000000 }, NS);
    expect(out.logs).toEqual([]);
    expect(out.metrics.map((m) => m.name)).toEqual(['mist.events']);
  });

  it('names the file, line, path inside the file and the problem', () => {
    const dir = dirWith({
      'bad.yaml': `topic: bad-topic
description: broken
log: false
metrics:
  - name: mist.bad.latency_seconds
    instrument: gauge
    description: x
    value: latency
    attributes:
      mist.client_mac: mac
`,
    });
    const found = problems(() => loadMappings({ customDir: dir }));
    const file = join(dir, 'bad.yaml');
    expect(found).toContainEqual(
      expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: metrics\\[0\\]\\.name: the unit goes in \`unit\``)),
    );
    expect(found).toContainEqual(expect.stringMatching(/bad\.yaml:\d+:\d+: metrics\[0\]\.unit: .*expected string/));
  });

  it('refuses per-client identifiers as metric attributes', () => {
    const dir = dirWith({
      'ids.yaml': `topic: ids
description: ids
log: false
metrics:
  - name: mist.ids.seen
    instrument: counter
    unit: "{event}"
    description: x
    attributes:
      mist.site_id: site_id
      mist.client_mac: [client_mac, mac]
      mist.user: { field: username, case: lower }
`,
    });
    const found = problems(() => loadMappings({ customDir: dir }));
    expect(found).toEqual([
      expect.stringMatching(/ids\.yaml:11:\d+: metrics\[0\]\.attributes\.mist\.client_mac: "client_mac" identifies a client, user or single event/),
      expect.stringMatching(/ids\.yaml:12:\d+: metrics\[0\]\.attributes\.mist\.user: "username" identifies/),
    ]);
  });

  it('reports YAML syntax errors with their position, and bad field references and regexes', () => {
    const dir = dirWith({
      'syntax.yaml': 'topic: x\ndescription: [unclosed\n',
      'refs.yaml': `topic: refs
description: r
log: { event_name: mist.refs, severity: { default: INFO, rules: [{ when: { field: 'a..b', matches: '(' }, level: WARN }] } }
`,
    });
    const found = problems(() => loadMappings({ customDir: dir }));
    expect(found).toContainEqual(expect.stringMatching(/syntax\.yaml:\d+:\d+: not valid YAML/));
    expect(found).toContainEqual(expect.stringMatching(/refs\.yaml:3:\d+: log\.severity\.rules\[0\]\.when\.field: bad segment/));
    expect(found).toContainEqual(expect.stringMatching(/refs\.yaml:3:\d+: log\.severity\.rules\[0\]\.when\.matches: not a valid regular expression/));
  });

  it('rejects unknown keys, two files for one topic, and one metric name meaning two things', () => {
    const dir = dirWith({
      'a.yaml': 'topic: t-one\ndescription: a\nlog: false\nmetircs: []\n',
      'b.yaml': `topic: t-two
description: b
log: false
metrics: [{ name: mist.client.joins, instrument: gauge, unit: "1", value: x, description: clash }]
`,
      'c.yaml': 'topic: t-two\ndescription: c\nlog: false\n',
    });
    const found = problems(() => loadMappings({ customDir: dir }));
    expect(found).toContainEqual(expect.stringMatching(/a\.yaml:\d+:\d+: \(top level\): Unrecognized key: "metircs"/));
    expect(found).toContainEqual(expect.stringMatching(/c\.yaml:1:8: topic: "t-two" is already mapped by .*b\.yaml/));
    expect(found).toContainEqual(
      expect.stringMatching(/b\.yaml:4:\d+: metrics\[0\]\.instrument: mist\.client\.joins is declared with instrument "counter" in .*client-join\.yaml/),
    );
  });

  it('takes one metric declared in several files when every declaration says the same, and points at the one that differs', () => {
    // The SLE poller's files declare the site-sle topic's gauges again, as site-sle.yaml does.
    const same = `source: sle
kind: extra
description: d
time: start
log: false
metrics:
  - { name: mist.site.sle.ap_availability, instrument: gauge, unit: "1", value: ap-availability, description: "Site SLE: AP availability (ratio of good minutes)", attributes: { mist.site_id: site_id } }
`;
    const loaded = loadMappings({ customDir: dirWith({ 'same.yaml': same }) });
    expect(loaded.metrics.filter((m) => m.name === 'mist.site.sle.ap_availability')).toEqual([
      {
        name: 'mist.site.sle.ap_availability',
        instrument: 'gauge',
        unit: '1',
        description: 'Site SLE: AP availability (ratio of good minutes)',
        gauge: 'sample',
      },
    ]);
    const dir = dirWith({
      'unit.yaml': same.replace('kind: extra', 'kind: unit').replace('unit: "1"', 'unit: "%"'),
      'mode.yaml': same.replace('kind: extra', 'kind: mode').replace('instrument: gauge,', 'instrument: gauge, gauge: state,'),
    });
    expect(problems(() => loadMappings({ customDir: dir }))).toEqual([
      expect.stringMatching(
        /mode\.yaml:7:\d+: metrics\[0\]\.gauge: mist\.site\.sle\.ap_availability is declared with gauge "sample" in .*site-sle\.yaml; a metric name must mean one thing/,
      ),
      expect.stringMatching(/unit\.yaml:7:\d+: metrics\[0\]\.unit: mist\.site\.sle\.ap_availability is declared with unit "1" in .*site-sle\.yaml/),
    ]);
  });

  it('says what was expected for a bad key or a value of the wrong type', () => {
    const dir = dirWith({
      'x.yaml': `topic: x
description: x
log: false
metrics: [{ name: mist.x.seen, instrument: counter, unit: "{event}", description: x, attributes: { Site: site_id } }]
trace: { role: r, values: { a: 5 } }
`,
    });
    expect(problems(() => loadMappings({ customDir: dir }))).toEqual([
      expect.stringMatching(/x\.yaml:4:\d+: metrics\[0\]\.attributes\.Site: key: attribute names are lower-case and dotted/),
      expect.stringMatching(/x\.yaml:5:\d+: trace\.values\.a: Invalid input: expected string or array$/),
    ]);
  });

  it('checks stream files: a kind instead of a topic, subjects, aggregates and counters, with file:line:col', () => {
    const dir = dirWith({
      'no-kind.yaml': 'source: stream\ndescription: d\nlog: false\n',
      'with-topic.yaml': 'source: stream\nkind: stats/x\ntopic: x\ndescription: d\nlog: false\n',
      'webhook-kind.yaml': 'topic: y\nkind: stats/y\ndescription: d\nlog: false\n',
      'bad.yaml': `source: stream
kind: stats/clients
description: d
log: false
metrics:
  - { name: mist.bad.count, instrument: gauge, aggregate: count, unit: "{client}", description: d }
  - { name: mist.bad.io, instrument: counter, aggregate: sum, unit: By, description: d, value: tx_bytes }
  - { name: mist.bad.io2, instrument: counter, counter: observed, unit: By, description: d, value: tx_bytes, offset: 1, scale: -1 }
  - { name: mist.bad.up, instrument: gauge, uptime: uptime, unit: s, description: d, value: x, attributes: { mist.x: $keys } }
  - { name: mist.bad.rssi, instrument: histogram, aggregate: latest, each: radio_stat, unit: dBm, description: d, value: rssi }
`,
    });
    const found = problems(() => loadMappings({ customDir: dir }));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/no-kind\.yaml:\d+:\d+: kind: a stream file names the `kind` it maps/),
        expect.stringMatching(/with-topic\.yaml:3:\d+: topic: only webhook files have a `topic`/),
        expect.stringMatching(/webhook-kind\.yaml:2:\d+: kind: a webhook file names its `topic`, not a `kind`/),
        expect.stringMatching(/bad\.yaml:6:\d+: metrics\[0\]\.aggregate: aggregating over subjects needs a file `subject`/),
        expect.stringMatching(/bad\.yaml:7:\d+: metrics\[1\]\.aggregate: an increment counter \(add `counter: observed`\) cannot aggregate/),
        expect.stringMatching(/bad\.yaml:8:\d+: metrics\[2\]\.scale: a counter only goes up/),
        expect.stringMatching(/bad\.yaml:8:\d+: metrics\[2\]\.offset: a counter has no `offset`/),
        expect.stringMatching(/bad\.yaml:9:\d+: metrics\[3\]\.uptime: only an observed counter/),
        expect.stringMatching(/bad\.yaml:9:\d+: metrics\[3\]\.attributes\.mist\.x: unknown reference "\$keys"/),
        expect.stringMatching(/bad\.yaml:10:\d+: metrics\[4\]\.each: an aggregated metric takes one value per subject: no `each`/),
      ]),
    );
  });

  it('keeps client identifiers out of stream metrics: the subject key of an aggregated file, and hostnames, IPs and user names anywhere', () => {
    const dir = dirWith({
      'clients.yaml': `source: stream
kind: stats/clients
description: d
log: false
subject:
  key: mac
  attributes:
    mist.device_mac: mac
    mist.host: { field: hostname, case: lower }
metrics:
  - name: mist.clients.count
    instrument: gauge
    aggregate: count
    unit: "{client}"
    description: d
    attributes: { mist.ip: [ip6, ip], mist.user: $.username, mist.ap: ap_mac }
`,
      'devices.yaml': `source: stream
kind: stats/devices
description: d
log: false
subject: { key: mac, attributes: { mist.device_mac: mac, mist.device_name: name } }
metrics:
  - { name: mist.devices.radio, instrument: gauge, unit: "1", description: d, each: radio_stat, value: util_all, attributes: { mist.radio_mac: mac, mist.host: $.hostname } }
`,
    });
    expect(problems(() => loadMappings({ customDir: dir }))).toEqual([
      expect.stringMatching(/clients\.yaml:8:\d+: subject\.attributes\.mist\.device_mac: "mac" is the subject key of metrics aggregated over subjects/),
      expect.stringMatching(/clients\.yaml:9:\d+: subject\.attributes\.mist\.host: "hostname" identifies a client/),
      expect.stringMatching(/clients\.yaml:16:\d+: metrics\[0\]\.attributes\.mist\.ip: "ip6" identifies a client/),
      expect.stringMatching(/clients\.yaml:16:\d+: metrics\[0\]\.attributes\.mist\.user: "username" identifies a client/),
      // Inside `each`, a plain reference reads the element (a radio's own MAC is bounded); $. reads the message.
      expect.stringMatching(/devices\.yaml:7:\d+: metrics\[0\]\.attributes\.mist\.host: "hostname" identifies a client/),
    ]);
  });

  it('maps a stream kind only from a file that names it, and lets a custom file replace a built-in stream file', () => {
    const dir = dirWith({
      'mine.yaml': `source: stream
kind: stats/devices
replaces: stream:stats/devices
description: mine
time: [_time, last_seen]
log: false
metrics: [{ name: mist.mine.uptime, instrument: gauge, unit: s, description: d, value: uptime }]
`,
    });
    const { engine, sources } = loadMappings({ customDir: dir });
    expect(sources.filter((s) => s.spec.topic === 'stream:stats/devices').map((s) => s.origin)).toEqual(['custom']);
    // Without `replaces`, shadowing the built-in file is refused, pointing at the kind.
    const shadow = dirWith({ 'shadow.yaml': 'source: stream\nkind: stats/clients\ndescription: d\nlog: false\n' });
    expect(problems(() => loadMappings({ customDir: shadow }))).toEqual([
      expect.stringMatching(
        /shadow\.yaml:2:7: kind: "stream:stats\/clients" is a built-in topic \(mappings\/stream-clients\.yaml\); add "replaces: stream:stats\/clients"/,
      ),
    ]);
    const out = engine.map('stream', 'stats/devices', { mac: 'a', uptime: 5, _time: 1750000000 }, NS);
    expect(out.metrics).toEqual([{ name: 'mist.mine.uptime', value: 5, attributes: {}, timeNs: 1_750_000_000_000_000_000n }]);
  });

  it('refuses a custom topic or alias that shadows a built-in file unless the file says it replaces it', () => {
    const dir = dirWith({
      'alarms.yaml': 'topic: alarms\ndescription: mine\nlog: false\n',
      'assets.yaml': 'topic: my-assets\naliases: [beacons, asset-raw]\ndescription: mine\nlog: false\n',
      'nope.yaml': 'topic: nope\nreplaces: [no-such-topic]\ndescription: x\nlog: false\n',
    });
    expect(problems(() => loadMappings({ customDir: dir }))).toEqual([
      expect.stringMatching(/nope\.yaml:2:12: replaces\[0\]: "no-such-topic" is not a built-in topic/),
      expect.stringMatching(/alarms\.yaml:1:8: topic: "alarms" is a built-in topic \(mappings\/alarms\.yaml\); add "replaces: alarms" to this file/),
      expect.stringMatching(
        /assets\.yaml:2:20: aliases\[1\]: "asset-raw" is a built-in topic \(mappings\/asset-raw-rssi\.yaml\); add "replaces: asset-raw-rssi"/,
      ),
    ]);
  });

  it('replaces the named built-in file with everything it mapped, aliases included', () => {
    const dir = dirWith({ 'assets.yaml': 'topic: my-assets\nreplaces: asset-raw\naliases: [asset-raw]\ndescription: mine\nlog: false\n' });
    const { sources, engine } = loadMappings({ customDir: dir });
    expect(sources.some((s) => s.spec.topic === 'asset-raw-rssi')).toBe(false);
    expect(engine.map('webhook', 'asset-raw', { type: 'x' }, NS).logs).toEqual([]);
    // The replaced file's other key now falls to the default topic, which logs every event.
    expect(engine.map('webhook', 'asset-raw-rssi', { type: 'x' }, NS).logs[0]?.eventName).toBe('mist.event');
  });

  it('points at a field reference that does not parse, wherever it is, instead of throwing', () => {
    const dir = dirWith({
      'refs.yaml': `topic: refs
description: r
log: false
metrics:
  - name: mist.refs.seen
    instrument: counter
    unit: "{event}"
    description: x
    attributes:
      mist.site_id: "a..b"
      mist.zone: { field: ["zone", "x["] }
`,
    });
    expect(problems(() => loadMappings({ customDir: dir }))).toEqual([
      expect.stringMatching(/refs\.yaml:10:21: metrics\[0\]\.attributes\.mist\.site_id: bad segment "" in field reference "a\.\.b"/),
      expect.stringMatching(/refs\.yaml:11:\d+: metrics\[0\]\.attributes\.mist\.zone.*field reference "x\["/),
    ]);
  });

  it('points at the unbalanced brace of a template, at its line and column', () => {
    const dir = dirWith({
      'tpl.yaml': `topic: tpl
description: t
log:
  event_name: mist.tpl
  body:
    - template: "{type on {door.name}"
    - template: door {name}} closed
    - template: 'held {door.name'
    - template: "empty {} placeholder"
`,
    });
    expect(problems(() => loadMappings({ customDir: dir }))).toEqual(
      [
        'tpl.yaml:6:18: log.body[0].template: "{" at character 1 is not closed',
        'tpl.yaml:7:28: log.body[1].template: "}" at character 12 closes no "{"',
        'tpl.yaml:8:23: log.body[2].template: "{" at character 6 is not closed',
        'tpl.yaml:9:24: log.body[3].template: placeholder {}: empty field reference ""',
      ].map((line) => join(dir, line)),
    );
  });

  it('fails when the custom directory cannot be read', () => {
    expect(problems(() => loadMappings({ customDir: '/nonexistent/mist-mappings' }))[0]).toMatch(
      /\/nonexistent\/mist-mappings: cannot read the mappings directory/,
    );
  });
});
