// Mist webhook deliveries: the one generator of the tests, the benchmark and the demo sender.
// Plain Node, no dependencies, no build: the demo's container imports it as it is.
//
// Each topic has an event template written from ../shared/FIELDS.md and the shapes real
// deliveries have (ids masked in the corpus; here they are fresh), for a sample organisation.
// A delivery body is rendered once with fixed-width slots (MACs, ids, timestamps, RSSI,
// coordinates); every request copies it and writes new values into the slots, then signs it.
// So no two events of a run are the same (nothing can be deduplicated or answered from a cache)
// while generating a 50-event body costs the load generator tens of microseconds, not the
// milliseconds that building and stringifying objects would: the benchmark's client shares the
// two cores with the server under test. `events()` gives the same events as objects, and the
// builders below them (a client's session, a denial, numbered probes) put them together as a
// story needs them.
import { randomBytes } from 'node:crypto';
import { sign } from './sign.mjs';

const HEX = '0123456789abcdef';

// A large organisation: clients and devices come from fixed populations, as in real traffic
// (the session tracker and metric series are per client/site, and would grow without bound if
// every MAC were new); events stay unique through ids, timestamps, coordinates and RSSI.
const CLIENTS = 20_000;
const DEVICES = 500;
const CLIENT_OUI = 0xac3eb1 * 2 ** 24;
const DEVICE_OUI = 0x5c5b35 * 2 ** 24;
/** The populations, for a load generator that fills the slots itself (wrk-deliveries.lua). */
export const POPULATION = { CLIENTS, DEVICES, CLIENT_OUI, DEVICE_OUI };

// A slot kind: width in bytes, whether it sits inside a JSON string, and how it is filled.
// `seq` is unique per event across the whole run; `now` is the current epoch in ms.
export const SLOT_KINDS = {
  mac: { width: 12, quoted: true }, // a client
  apmac: { width: 12, quoted: true }, // an AP, switch or other device (also BSSIDs)
  uuid: { width: 36, quoted: true },
  ts: { width: 10, quoted: false }, // epoch seconds, integer
  tsf: { width: 14, quoted: false }, // epoch seconds with milliseconds: 1749826902.034
  tsms: { width: 13, quoted: false }, // epoch milliseconds (NAC topics)
  tsstr: { width: 17, quoted: true }, // numeric string with microseconds (mxedge-events)
  rssi: { width: 3, quoted: false }, // -30 .. -89
  coord: { width: 7, quoted: false }, // 100.000 .. 999.999 (metres)
  count: { width: 6, quoted: false }, // a counter-derived integer
};

const SLOT_TOKEN = /"@@(\w+?)@@"/g;

function writeHex(buf, at, width, value) {
  for (let i = width - 1; i >= 0; i--) {
    buf[at + i] = HEX.charCodeAt(value % 16);
    value = Math.floor(value / 16);
  }
}

function writeDec(buf, at, width, value) {
  for (let i = width - 1; i >= 0; i--) {
    buf[at + i] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
}

function fill(buf, at, kind, seq, nowMs, salt) {
  switch (kind) {
    case 'mac':
      writeHex(buf, at, 12, CLIENT_OUI + (((seq % CLIENTS) * 2654435761) % 2 ** 24));
      return;
    case 'apmac':
      writeHex(buf, at, 12, DEVICE_OUI + (seq % DEVICES) * 16);
      return;
    case 'uuid':
      // The prefix (8-4-4-4-) stays as rendered; the last group carries the sequence.
      writeHex(buf, at + 24, 12, (seq + salt) % 2 ** 48);
      return;
    case 'ts':
      writeDec(buf, at, 10, Math.floor(nowMs / 1000));
      return;
    case 'tsf':
      writeDec(buf, at, 10, Math.floor(nowMs / 1000));
      buf[at + 10] = 46; // '.'
      writeDec(buf, at + 11, 3, nowMs % 1000);
      return;
    case 'tsms':
      writeDec(buf, at, 13, nowMs);
      return;
    case 'tsstr':
      writeDec(buf, at, 10, Math.floor(nowMs / 1000));
      buf[at + 10] = 46;
      writeDec(buf, at + 11, 3, nowMs % 1000);
      writeDec(buf, at + 14, 3, seq % 1000);
      return;
    case 'rssi':
      buf[at] = 45; // '-'
      writeDec(buf, at + 1, 2, 30 + (seq % 60));
      return;
    case 'coord':
      // Unique over 900,000 consecutive events, so with the timestamp no two are the same.
      writeDec(buf, at, 3, 100 + (seq % 900)); // no leading zero: JSON forbids it
      buf[at + 3] = 46;
      writeDec(buf, at + 4, 3, Math.floor(seq / 900) % 1000);
      return;
    case 'count':
      writeDec(buf, at, 6, 100_000 + ((seq * 31) % 900_000));
      return;
    default:
      throw new Error(`unknown slot kind ${kind}`);
  }
}

function placeholder(kind) {
  const { width } = SLOT_KINDS[kind];
  if (kind === 'uuid') {
    const h = randomBytes(16).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  return '0'.repeat(width);
}

const S = (kind) => `@@${kind}@@`;

// The sample organisation: what a real org would repeat across events.
export const ORG = '6748cfa6-4e12-11e6-9188-0242ac110007';
export const SITES = [
  { id: '978c48e6-6ef6-11e6-8bbf-02e208b2d34f', name: 'HQ' },
  { id: '4ac1dcf4-9d8b-7211-65c4-057819f0862b', name: 'Warehouse' },
];
const MAP = 'b069b358-4c97-5319-1f8c-7c5ca64d6ab1';
export const WLAN = '3e51d3c6-6c26-49c5-a4b0-67e0c4b7d9a5';
/** Three named APs per site, for whoever needs the same devices to come back (a device's up/down series). */
export const APS = SITES.flatMap((site, s) => [1, 2, 3].map((n) => ({ site, mac: `5c5b35d0${s}${n}0${n}`, name: `${site.name.toLowerCase()}-ap-0${n}` })));

/** Event templates: a function of the event's index in its body (variety), slots as S(kind). */
export const TOPICS = {
  location: (i) => ({
    mac: S('mac'),
    map_id: MAP,
    rssi: S('rssi'),
    site_id: SITES[i % 2].id,
    timestamp: S('ts'),
    type: 'wifi',
    x: S('coord'),
    y: S('coord'),
  }),
  zone: (i) => ({
    mac: S('mac'),
    map_id: MAP,
    site_id: SITES[i % 2].id,
    timestamp: S('tsf'),
    trigger: i % 2 ? 'exit' : 'enter',
    type: 'wifi',
    zone_id: S('uuid'),
  }),
  'client-join': (i) => ({
    ap: S('apmac'),
    ap_name: `AP-Floor${(i % 4) + 1}-East`,
    band: i % 3 ? '5' : '24',
    bssid: S('apmac'),
    connect: S('ts'),
    connect_float: S('tsf'),
    mac: S('mac'),
    org_id: ORG,
    random_mac: i % 2 === 0,
    rssi: S('rssi'),
    site_id: SITES[i % 2].id,
    site_name: SITES[i % 2].name,
    ssid: i % 2 ? 'Corp-WiFi' : 'Guest',
    timestamp: S('ts'),
    version: 2,
    wlan_id: WLAN,
  }),
  'client-sessions': (i) => ({
    ap: S('apmac'),
    ap_name: `AP-Floor${(i % 4) + 1}-West`,
    band: '5',
    bssid: S('apmac'),
    client_family: i % 2 ? 'iPhone' : 'Mac',
    client_manufacture: 'Apple',
    client_model: i % 2 ? '15 Pro' : 'MacBookPro18,3',
    client_os: i % 2 ? 'iOS 17.5' : 'macOS 14',
    connect: S('ts'),
    connect_float: S('tsf'),
    disconnect: S('ts'),
    disconnect_float: S('tsf'),
    duration: 16709.393960068,
    mac: S('mac'),
    next_ap: i % 3 ? '000000000000' : S('apmac'),
    org_id: ORG,
    random_mac: false,
    rssi: S('rssi'),
    site_id: SITES[i % 2].id,
    site_name: SITES[i % 2].name,
    ssid: 'Corp-WiFi',
    termination_reason: (i % 3) + 1,
    timestamp: S('ts'),
    version: 2,
    wlan_id: WLAN,
  }),
  'client-info': (i) => ({
    hostname: `laptop-${(i % 90) + 10}`,
    ip: `10.20.${i % 250}.${(i % 200) + 20}`,
    mac: S('mac'),
    org_id: ORG,
    site_id: SITES[i % 2].id,
    timestamp: S('ts'),
  }),
  'nac-events': (i) => ({
    ap: S('apmac'),
    auth_type: i % 2 ? 'eap-tls' : 'eap-peap',
    bssid: S('apmac'),
    client_type: 'wireless',
    crc: [816874768, 2761861480],
    idp_role: ['staff', 'vpn-users'],
    mac: S('mac'),
    nacrule_id: S('uuid'),
    nacrule_matched: 'true',
    nas_ip: '10.20.0.4',
    nas_vendor: 'juniper-mist',
    org_id: ORG,
    random_mac: 'false',
    resp_attrs: ['Tunnel-Type=VLAN', 'Tunnel-Medium-Type=IEEE-802', 'Tunnel-Private-Group-Id=120'],
    site_id: SITES[i % 2].id,
    ssid: 'Corp-Secure',
    text: 'Client access permitted by NAC rule',
    timestamp: S('tsms'),
    tls_cipher_suite: 'ECDHE-RSA-AES256-GCM-SHA384',
    tls_version: 'TLS 1.2',
    type: i % 5 ? 'NAC_CLIENT_PERMIT' : 'NAC_CLIENT_DENY',
    username: 'user@example.com',
    vlan: '120',
  }),
  'nac-accounting': (i) => ({
    ap: S('apmac'),
    auth_type: 'eap-tls',
    bssid: S('apmac'),
    client_ip: '172.16.87.4',
    client_type: 'wireless',
    mac: S('mac'),
    nas_vendor: 'juniper-mist',
    org_id: ORG,
    rx_pkts: S('count'),
    site_id: SITES[i % 2].id,
    ssid: 'Corp-Secure',
    timestamp: S('tsms'),
    tx_pkts: S('count'),
    type: ['NAC_ACCOUNTING_START', 'NAC_ACCOUNTING_UPDATE', 'NAC_ACCOUNTING_STOP'][i % 3],
    username: 'user@example.com',
  }),
  'device-events': (i) => ({
    device_name: `sw-idf-${(i % 9) + 1}`,
    device_type: 'switch',
    ev_type: 'NOTICE',
    mac: S('apmac'),
    model: 'EX3400-48P',
    org_id: ORG,
    port_id: `ge-0/0/${i % 48}`,
    site_id: SITES[i % 2].id,
    site_name: SITES[i % 2].name,
    text: 'Link down on an access port',
    timestamp: S('ts'),
    type: i % 2 ? 'SW_PORT_DOWN' : 'SW_PORT_UP',
  }),
  'device-updowns': (i) => ({
    ap: S('apmac'),
    ap_name: `AP-Floor${(i % 4) + 1}-East`,
    for_site: true,
    org_id: ORG,
    site_id: SITES[i % 2].id,
    site_name: SITES[i % 2].name,
    timestamp: S('ts'),
    type: i % 2 ? 'AP_CONNECTED' : 'AP_DISCONNECTED',
  }),
  alarms: (i) => ({
    alert_id: S('uuid'),
    category: 'layer_1',
    count: 1,
    details: { action: 'test_replace_cable', category: 'layer_1', status: i % 2 ? 'open' : 'resolved', symptom: 'bad_cable' },
    group: 'marvis',
    id: S('uuid'),
    impacted_entities: [{ entity_mac: S('apmac'), entity_name: 'sw-idf-2', entity_type: 'switch', port_id: 'ge-0/0/19' }],
    last_seen: '2025-04-01T16:58:27',
    org_id: ORG,
    org_name: 'Example Corp',
    port_ids: ['ge-0/0/19'],
    severity: i % 2 ? 'critical' : 'warn',
    site_id: SITES[i % 2].id,
    site_name: 'HQ',
    status: i % 2 ? 'open' : 'resolved',
    suggestion: 'test_replace_cable',
    timestamp: S('tsf'),
    type: 'ap_bad_cable',
  }),
  audits: (i) => ({
    admin_name: 'ops@example.com',
    after: { enabled: i % 2 === 0 },
    before: { enabled: i % 2 === 1 },
    id: S('uuid'),
    message: 'Update WLAN "Corp-WiFi"',
    org_id: ORG,
    site_id: SITES[i % 2].id,
    site_name: 'HQ',
    src_ip: '198.51.100.7',
    timestamp: S('tsf'),
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
  }),
  'client-latency': (i) => ({
    avg_auth: 0.17170219,
    avg_dhcp: 0.017828934,
    avg_dns: 0.024532124,
    max_auth: 0.18170219,
    max_dhcp: 0.027828934,
    max_dns: 0.029532124,
    min_auth: 0.16050219,
    min_dhcp: 0.015828934,
    min_dns: 0.022532124,
    org_id: ORG,
    site_id: SITES[i % 2].id,
    timestamp: S('ts'),
  }),
  'mxedge-events': (i) => ({
    audit_id: S('uuid'),
    mxedge_id: S('uuid'),
    mxedge_name: `edge-${(i % 2) + 1}`,
    org_id: ORG,
    timestamp: S('tsstr'),
    type: 'ME_CONFIG_CHANGED_BY_USER',
  }),
};

// The topics the benchmark's mixes run, as they were before client-info had a template.
const BENCH_TOPICS = Object.keys(TOPICS).filter((t) => t !== 'client-info');

/** Renders a body of `count` events of `topic` with its slot table. */
function render(topic, count) {
  const parts = [];
  for (let i = 0; i < count; i++) parts.push(JSON.stringify(TOPICS[topic](i)));
  const text = `{"topic":"${topic}","events":[${parts.join(',')}]}`;
  const slots = [];
  let out = '';
  let last = 0;
  for (const m of text.matchAll(SLOT_TOKEN)) {
    const kind = m[1];
    const spec = SLOT_KINDS[kind];
    if (!spec) throw new Error(`unknown slot ${kind}`);
    out += text.slice(last, m.index);
    const value = placeholder(kind);
    const at = Buffer.byteLength(out) + (spec.quoted ? 1 : 0);
    out += spec.quoted ? `"${value}"` : value;
    slots.push({ at, kind });
    last = m.index + m[0].length;
  }
  out += text.slice(last);
  return { template: Buffer.from(out), slots };
}

/**
 * Writes fresh values into a rendered body's slots, the first from sequence number `seq` on;
 * returns the next unused one.
 */
export function fillSlots(body, slots, seq, nowMs, salt) {
  for (const slot of slots) fill(body, slot.at, slot.kind, seq++, nowMs, salt);
  return seq;
}

let sequence = 0;

/**
 * A delivery of `count` events of `topic`: each `next()` returns a fresh body and its headers.
 * Every slot gets its own sequence number, so each MAC and id in the run is new. `template`,
 * `slots` and `salt` are there for a load generator that fills the slots itself.
 */
export function delivery(topic, count, secret) {
  const { template, slots } = render(topic, count);
  const salt = Math.floor(Math.random() * 2 ** 32);
  return {
    topic,
    events: count,
    bytes: template.length,
    template,
    slots,
    salt,
    next() {
      const body = Buffer.allocUnsafe(template.length);
      template.copy(body);
      sequence = fillSlots(body, slots, sequence, Date.now(), salt);
      return { body, signature: sign(body, secret) };
    },
  };
}

/** The delivery mixes the scenarios use: [topic, events per delivery, weight]. */
export const MIXES = {
  // One event per delivery, every topic in turn.
  single: BENCH_TOPICS.map((topic) => [topic, 1, 1]),
  // Mist aggregates what arrives close together into one delivery: location updates (every
  // client about once a second) are what it aggregates most; they map to metrics only.
  'batch50-location': [['location', 50, 1]],
  // The heavy case: 50-event deliveries of topics that each become a log record with all
  // their fields (and session spans and metrics), beside location.
  'batch50-mixed': [
    ['location', 50, 2],
    ['client-sessions', 50, 1],
    ['nac-events', 50, 1],
    ['device-events', 50, 1],
  ],
  // What a large site sends: location dominates (every client about once a second), then
  // client and NAC activity; device, alarm and audit traffic is rare.
  mix: [
    ['location', 20, 6],
    ['location', 5, 4],
    ['zone', 2, 2],
    ['client-join', 3, 2],
    ['client-sessions', 3, 2],
    ['nac-events', 2, 2],
    ['nac-accounting', 5, 1],
    ['device-events', 1, 2],
    ['device-updowns', 1, 1],
    ['alarms', 1, 1],
    ['audits', 1, 1],
    ['client-latency', 1, 1],
    ['mxedge-events', 3, 1],
  ],
};

/** Expands a mix into the request list a load generator cycles through (weights interleaved). */
export function deliveries(mix, secret) {
  const list = [];
  const remaining = mix.map(([topic, count, weight]) => ({ d: delivery(topic, count, secret), left: weight }));
  while (remaining.some((r) => r.left > 0)) {
    for (const r of remaining) {
      if (r.left > 0) {
        list.push(r.d);
        r.left -= 1;
      }
    }
  }
  return list;
}

/**
 * `count` events of `topic` as objects: what `delivery()` would send, its slots filled from
 * sequence number `seq` on, stamped `nowMs`.
 */
export function events(topic, count = 1, { seq = 0, nowMs = Date.now() } = {}) {
  const { template, slots } = render(topic, count);
  const body = Buffer.from(template);
  fillSlots(body, slots, seq, nowMs, 0);
  return JSON.parse(body.toString()).events;
}

/** One event of `topic` (see `events`) with `fields` set over it. */
function eventOf(topic, fields, nowMs) {
  return { ...events(topic, 1, { nowMs })[0], ...fields };
}

const seconds = (ms) => Math.floor(ms / 1000);
const withMs = (ms) => Math.round(ms) / 1000;

/**
 * One client's session as Mist delivers it, in order: the NAC permit (client-join's topic sets
 * it apart from the association that follows), the join, its IP (client-info), and the session
 * record at disconnect. Identity and times are the story's (the organisation the sample one
 * unless `org` is given, the WLAN its site's, if it names one); the other fields the templates'.
 * `terminationReason` 1 is a normal disconnect, others (2: inactive) are abnormal.
 */
export function clientSession({ client, ap, connectMs, disconnectMs, ip, hostname, terminationReason = 1, org = ORG }) {
  const where = { org_id: org, site_id: ap.site.id, mac: client };
  const association = {
    ...where,
    ap: ap.mac,
    site_name: ap.site.name,
    ap_name: ap.name,
    bssid: `${ap.mac.slice(0, 10)}11`,
    band: '5',
    ssid: 'Corp-WiFi',
    wlan_id: ap.site.wlan ?? WLAN,
    connect: seconds(connectMs),
    connect_float: withMs(connectMs),
  };
  return [
    {
      topic: 'nac-events',
      events: [
        eventOf(
          'nac-events',
          {
            ...where,
            ap: ap.mac,
            type: 'NAC_CLIENT_PERMIT',
            bssid: association.bssid,
            ssid: association.ssid,
            username: `${hostname}@example.com`,
            timestamp: connectMs - 750,
          },
          connectMs,
        ),
      ],
    },
    { topic: 'client-join', events: [eventOf('client-join', { ...association, rssi: -55, timestamp: seconds(connectMs) }, connectMs)] },
    { topic: 'client-info', events: [eventOf('client-info', { ...where, ip, hostname, timestamp: seconds(connectMs) + 2 }, connectMs)] },
    {
      topic: 'client-sessions',
      events: [
        eventOf(
          'client-sessions',
          {
            ...association,
            rssi: -62,
            next_ap: '000000000000',
            disconnect: seconds(disconnectMs),
            disconnect_float: withMs(disconnectMs),
            duration: (disconnectMs - connectMs) / 1000,
            termination_reason: terminationReason,
            timestamp: seconds(disconnectMs),
          },
          disconnectMs,
        ),
      ],
    },
  ];
}

/** A client refused by NAC at `atMs`, never associated: one nac-events delivery. */
export function denial({ client, ap, atMs, org = ORG }) {
  const fields = {
    org_id: org,
    site_id: ap.site.id,
    mac: client,
    ap: ap.mac,
    bssid: `${ap.mac.slice(0, 10)}11`,
    type: 'NAC_CLIENT_DENY',
    auth_type: 'mab',
    nacrule_matched: 'false',
    text: 'Client access denied by NAC rule',
    timestamp: atMs,
  };
  return { topic: 'nac-events', events: [eventOf('nac-events', fields, atMs)] };
}

/**
 * A delivery of `count` distinct probe events numbered from `first` (field `n`), for counting
 * what arrives; `fields` are added to each (padding, to make a delivery weigh what a test needs).
 */
export function numbered(topic, first, count, fields = {}) {
  return {
    topic,
    events: Array.from({ length: count }, (_, i) => ({ n: first + i, type: 'PROBE', timestamp: 1_700_000_000 + first + i, ...fields })),
  };
}
