/**
 * Client session traces end to end: scripted client stories posted to real bridges as Mist
 * webhook deliveries, asserted on the trace trees the test OTLP receiver decodes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { packagePath } from '../src/package-root.js';
import { DIMENSIONS } from '../src/sessions/session.js';
import { startTestBridge } from './support/bridge-harness.js';
import { postDelivery } from './support/mist-client.js';
import { spawnBridge } from './support/spawn-bridge.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';

const ORG = '2c7e4c1a-0f3b-4d7e-9a51-6b0c8d2e7f10';
const SITE = '8a1d2b3c-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const WLAN = '4f6e8d0c-2b4a-4c6e-8a0b-2c4e6a8c0e2f';
const CLIENT = 'f0d5bf3a9c21';
const AP1 = 'd420b0aa0001';
const AP2 = 'd420b0aa0002';

const base = { org_id: ORG, site_id: SITE, site_name: 'HQ', mac: CLIENT };

// Times as Mist writes them: epoch seconds with milliseconds for associations, epoch
// milliseconds for NAC. The join's connect_float is a millisecond off its record's, as in real pairs.
const T = {
  check1: 1763712000311,
  check2: 1763712000314,
  permit: 1763712000320,
  connect1: 1763712000.402,
  connect1Record: 1763712000.403,
  ip: 1763712001,
  roam: 1763713800.517,
  connect2: 1763713800.588,
  connect2Record: 1763713800.589,
  disconnect: 1763716500.75,
};

const nac = (type: string, timestamp: number, extra: Record<string, unknown> = {}) => ({
  ...base,
  type,
  ap: AP1,
  ssid: 'Corp',
  auth_type: 'eap-tls',
  client_type: 'wireless',
  username: 'alice@example.com',
  nacrule_id: '7d1c0e2f-1111-4a2b-8c3d-4e5f6a7b8c9d',
  nacrule_name: 'Employees',
  idp_id: '3b2a1c0d-2222-4e3f-9a8b-7c6d5e4f3a2b',
  timestamp,
  ...extra,
});

const join = (ap: string, connectFloat: number) => ({
  ...base,
  ap,
  ap_name: ap === AP1 ? 'hq-ap-01' : 'hq-ap-02',
  band: '5',
  bssid: `${ap.slice(0, 10)}11`,
  ssid: 'Corp',
  wlan_id: WLAN,
  rssi: -55,
  connect: Math.floor(connectFloat),
  connect_float: connectFloat,
  random_mac: false,
  version: 2,
  timestamp: Math.floor(connectFloat),
});

const record = (ap: string, connectFloat: number, disconnectFloat: number, terminationReason: number, nextAp = '000000000000') => ({
  ...join(ap, connectFloat),
  client_family: 'Mac',
  client_manufacture: 'Apple',
  client_model: 'MacBookPro18,1',
  client_os: 'macOS',
  rssi: -63,
  disconnect: Math.floor(disconnectFloat),
  disconnect_float: disconnectFloat,
  duration: disconnectFloat - connectFloat,
  next_ap: nextAp,
  termination_reason: terminationReason,
  timestamp: Math.floor(disconnectFloat),
});

type Delivery = { topic: string; events: unknown[] };
const deliver = (topic: string, ...events: unknown[]): Delivery => ({ topic, events });

const NAC_PERMIT = deliver(
  'nac-events',
  nac('NAC_SERVER_CERT_VALIDATION_SUCCESS', T.check1),
  nac('NAC_CLIENT_CERT_CHECK_SUCCESS', T.check2, { cert_cn: 'alice', cert_issuer: '/DC=com/DC=example/CN=Example-CA' }),
  nac('NAC_CLIENT_PERMIT', T.permit, { vlan: '20', nacrule_matched: 'true' }),
);
const JOIN_1 = deliver('client-join', join(AP1, T.connect1));
const INFO = deliver('client-info', { ...base, ip: '10.20.0.31', hostname: 'alice-mbp', timestamp: T.ip });
const LEAVE_1 = deliver('client-sessions', record(AP1, T.connect1Record, T.disconnect, 1));

/** permit → join → IP → disconnect. */
const PERMIT_STORY = [NAC_PERMIT, JOIN_1, INFO, LEAVE_1];
/** join → roam AP1 → AP2 → disconnect. */
const ROAM_STORY = [
  JOIN_1,
  deliver('client-sessions', record(AP1, T.connect1Record, T.roam, 3, AP2)),
  deliver('client-join', join(AP2, T.connect2)),
  deliver('client-sessions', record(AP2, T.connect2Record, T.disconnect, 1)),
];

const SESSION_SPANS = new Set(['client-session', 'connected', 'nac-auth', 'dhcp']);
const ns = (seconds: number | string) => {
  const [whole, frac = ''] = String(seconds).split('.');
  return BigInt(whole!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
};
const msNs = (ms: number) => BigInt(ms) * 1_000_000n;

let receiver: OtlpReceiver;
const bridges: { stop(): Promise<boolean> }[] = [];

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
  await receiver.close();
});

/** A bridge whose session table waits `settleMs` before placing events, sweeping often. */
async function bridge(settleMs = 10_000, extra: Record<string, unknown> = {}) {
  const b = await startTestBridge(receiver, { overrides: { sessions: { settleMs, sweepIntervalMs: 20 }, ...extra } });
  bridges.push(b);
  return b;
}

async function post(url: string, deliveries: Delivery[]) {
  for (const d of deliveries) {
    const res = await postDelivery(url, d);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  }
}

function sessionSpans(): ReceivedSpan[] {
  return receiver.spans.filter((s) => SESSION_SPANS.has(s.name));
}

/** The tree as a backend shows it, independent of export order. */
function tree(spans: ReceivedSpan[]) {
  return spans
    .map((s) => ({
      name: s.name,
      traceId: s.traceId,
      spanId: s.spanId,
      parent: s.parentSpanId,
      start: s.startTimeUnixNano,
      end: s.endTimeUnixNano,
      status: s.status.code,
      attributes: s.attributes,
      events: s.events.map((e) => [e.name, e.timeUnixNano]),
    }))
    .sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
}

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0]!;
}

/** One trace, one root, every other span its child: returns the root and the children by name. */
function assertOneTrace(spans: ReceivedSpan[]) {
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  const root = only(
    spans.filter((s) => s.parentSpanId === undefined),
    'roots',
  );
  expect(root.name).toBe('client-session');
  const children = spans.filter((s) => s !== root);
  for (const c of children) expect(c.parentSpanId, c.name).toBe(root.spanId);
  return { root, children: (name: string) => children.filter((c) => c.name === name) };
}

describe('client session traces', () => {
  it('permit → join → disconnect: one trace, the root spans connect..disconnect, nac-auth, dhcp and connected under it', async () => {
    const b = await bridge(2000);
    await post(b.webhook, PERMIT_STORY);
    // The periodic sweep exports the session once its settle time after the disconnect is over.
    await receiver.waitFor(() => sessionSpans().some((s) => s.name === 'client-session'));
    const spans = sessionSpans();
    const { root, children } = assertOneTrace(spans);
    expect(spans).toHaveLength(4);

    expect(root.startTimeUnixNano).toBe(ns(T.connect1Record));
    expect(root.endTimeUnixNano).toBe(ns(T.disconnect));
    expect(root.status.code).toBe(1);
    expect(root.attributes).toMatchObject({
      'mist.site_id': SITE,
      'mist.wlan_id': WLAN,
      'mist.ap': AP1,
      'mist.ssid': 'Corp',
      'mist.band': '5',
      'mist.client_family': 'Mac',
      'mist.client_manufacture': 'Apple',
      'mist.client_model': 'MacBookPro18,1',
      'mist.client_os': 'macOS',
      'mist.rssi': -63,
      'mist.termination_reason': 1,
      'mist.session.roams': 0,
    });

    const auth = only(children('nac-auth'), 'nac-auth');
    expect(auth.startTimeUnixNano).toBe(msNs(T.check1));
    expect(auth.endTimeUnixNano).toBe(msNs(T.permit));
    expect(auth.status.code).toBe(1);
    expect(auth.events.map((e) => [e.name, e.timeUnixNano])).toEqual([
      ['NAC_SERVER_CERT_VALIDATION_SUCCESS', msNs(T.check1)],
      ['NAC_CLIENT_CERT_CHECK_SUCCESS', msNs(T.check2)],
    ]);
    expect(auth.events[1]!.attributes['mist.cert_cn']).toBe('alice');
    expect(auth.attributes).toMatchObject({
      'mist.nac.result': 'permit',
      'mist.auth_type': 'eap-tls',
      'mist.nacrule_id': '7d1c0e2f-1111-4a2b-8c3d-4e5f6a7b8c9d',
      'mist.nacrule_name': 'Employees',
      'mist.idp_id': '3b2a1c0d-2222-4e3f-9a8b-7c6d5e4f3a2b',
      'mist.wlan_id': WLAN, // from the association it happened in
    });

    const dhcp = only(children('dhcp'), 'dhcp');
    expect(dhcp.startTimeUnixNano).toBe(ns(T.ip));
    expect(dhcp.attributes).toMatchObject({ 'mist.client_ip': '10.20.0.31', 'mist.hostname': 'alice-mbp', 'mist.ap': AP1 });

    const connected = only(children('connected'), 'connected');
    expect([connected.startTimeUnixNano, connected.endTimeUnixNano]).toEqual([ns(T.connect1Record), ns(T.disconnect)]);
    expect(connected.status.code).toBe(1);

    // Every span carries the spanmetrics dimensions.
    for (const s of spans) for (const d of DIMENSIONS) expect(s.attributes[d], `${s.name} ${d}`).toBeDefined();
  });

  it('join → roam AP1 → AP2 → disconnect: successive connected spans, with the AP roamed to', async () => {
    const b = await bridge();
    await post(b.webhook, ROAM_STORY);
    await b.stop();
    const { root, children } = assertOneTrace(sessionSpans());
    expect([root.startTimeUnixNano, root.endTimeUnixNano]).toEqual([ns(T.connect1Record), ns(T.disconnect)]);
    expect(root.attributes['mist.session.roams']).toBe(1);
    const connected = children('connected').sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1));
    expect(connected.map((c) => [c.attributes['mist.ap'], c.startTimeUnixNano, c.endTimeUnixNano])).toEqual([
      [AP1, ns(T.connect1Record), ns(T.roam)],
      [AP2, ns(T.connect2Record), ns(T.disconnect)],
    ]);
    expect(connected[0]!.attributes['mist.next_ap']).toBe(AP2);
    expect(connected[0]!.attributes['mist.termination_reason']).toBe(3);
  });

  it('deny: the failed check and the deny make an error nac-auth under an error root', async () => {
    const b = await bridge(300);
    await post(b.webhook, [
      deliver(
        'nac-events',
        nac('NAC_CLIENT_CERT_CHECK_FAILURE', T.check1, { text: 'TLS Client Certificate Check failed by the Server' }),
        nac('NAC_CLIENT_DENY', T.permit, { text: 'eap_tls: certificate rejected' }),
      ),
    ]);
    await receiver.waitFor(() => sessionSpans().length === 2);
    const { root, children } = assertOneTrace(sessionSpans());
    expect(root.status).toEqual({ code: 2, message: 'eap_tls: certificate rejected' });
    expect([root.startTimeUnixNano, root.endTimeUnixNano]).toEqual([msNs(T.check1), msNs(T.permit)]);
    expect(root.attributes['mist.session.associated']).toBe(false);
    const auth = only(children('nac-auth'), 'nac-auth');
    expect(auth.status).toEqual({ code: 2, message: 'eap_tls: certificate rejected' });
    expect(auth.attributes['mist.nac.result']).toBe('deny');
    expect(auth.events.map((e) => e.name)).toEqual(['NAC_CLIENT_CERT_CHECK_FAILURE']);
  });

  it('an abnormal termination (inactive) marks the root and its connected span as errors', async () => {
    const b = await bridge();
    await post(b.webhook, [JOIN_1, deliver('client-sessions', record(AP1, T.connect1Record, T.disconnect, 2))]);
    await b.stop();
    const { root, children } = assertOneTrace(sessionSpans());
    expect(root.status.code).toBe(2);
    expect(only(children('connected'), 'connected').status.code).toBe(2);
  });

  describe('identity', () => {
    let reference: ReturnType<typeof tree>;
    beforeEach(async () => {
      const b = await bridge();
      await post(b.webhook, PERMIT_STORY);
      await b.stop();
      reference = tree(sessionSpans());
      expect(reference).toHaveLength(4);
      receiver.clear();
    });

    it('the whole story delivered twice gives the same spans, once', async () => {
      // Deduplication in front of the pipeline is off: the session table must not repeat itself.
      const b = await bridge(10_000, { dedup: { windowSeconds: 0 } });
      await post(b.webhook, [...PERMIT_STORY, ...PERMIT_STORY]);
      await b.stop();
      expect(tree(sessionSpans())).toEqual(reference);
    });

    it('delivered out of order gives the same spans', async () => {
      const b = await bridge();
      await post(b.webhook, [LEAVE_1, INFO, JOIN_1, NAC_PERMIT]);
      await b.stop();
      expect(tree(sessionSpans())).toEqual(reference);
    });

    it('split across two bridge instances: each exports its part, together the same trace', async () => {
      const first = await bridge();
      const second = await bridge();
      await post(first.webhook, [NAC_PERMIT, JOIN_1, INFO]);
      await post(second.webhook, [LEAVE_1]);
      await Promise.all([first.stop(), second.stop()]);
      expect(tree(sessionSpans())).toEqual(reference);
    });
  });

  it('a crash inside the settle time loses no session span: the journal keeps those deliveries', async () => {
    const dir = mkdtempSync(joinPath(tmpdir(), 'mist-bridge-sessions-'));
    const env = {
      MIST_BRIDGE_ALLOW_UNSIGNED: 'true',
      MIST_BRIDGE_DATA_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BLRP_SCHEDULE_DELAY: '20',
      OTEL_BSP_SCHEDULE_DELAY: '20',
    };
    try {
      const first = await spawnBridge(env);
      await post(`${first.url}/mist/webhook`, PERMIT_STORY);
      // Every log is exported (so the journal would release the deliveries for logs), the
      // session's events still wait for their settle time: kill it there.
      await receiver.waitFor(() => receiver.logs.length >= 6);
      await new Promise((r) => setTimeout(r, 600));
      first.child.kill('SIGKILL');
      await first.exit();
      expect(sessionSpans()).toHaveLength(0);

      const second = await spawnBridge(env);
      second.child.kill('SIGTERM');
      expect((await second.exit()).code).toBe(0);
      const { root, children } = assertOneTrace(sessionSpans());
      expect([root.startTimeUnixNano, root.endTimeUnixNano]).toEqual([ns(T.connect1Record), ns(T.disconnect)]);
      expect(['nac-auth', 'dhcp', 'connected'].map((n) => children(n).length)).toEqual([1, 1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('MIST_BRIDGE_SESSIONS=false turns session traces off; the events are still logged', async () => {
    const b = await startTestBridge(receiver, { env: { MIST_BRIDGE_SESSIONS: 'false' } });
    bridges.push(b);
    await post(b.webhook, PERMIT_STORY);
    await b.stop();
    expect(receiver.logs.filter((l) => l.attributes['mist.topic'] !== undefined).length).toBeGreaterThanOrEqual(6);
    expect(sessionSpans()).toHaveLength(0);
  });

  it('the collector groups session spans by exactly the dimensions the bridge puts on them', () => {
    const collector = parseYaml(readFileSync(packagePath('otel-collector.yaml'), 'utf8')) as {
      connectors: Record<string, { namespace: string; dimensions: { name: string }[] }>;
    };
    const spanmetrics = collector.connectors.span_metrics!;
    expect(spanmetrics.namespace).toBe('mist.session');
    expect(spanmetrics.dimensions.map((d) => d.name)).toEqual([...DIMENSIONS]);
  });
});

// A real pair from the public corpus: one client's client-join and its client-sessions record
// (termination 1), as Mist delivered them, with connect_float a millisecond apart.
const corpus = joinPath(packagePath(), '..', 'shared', 'mist-corpus');
const corpusPresent = existsSync(corpus);
if (!corpusPresent) console.warn(`session corpus test skipped: ${corpus} not found`);

describe.skipIf(!corpusPresent)('a real join and session record from the Mist corpus', () => {
  it('come out as one session trace spanning Mist\'s own connect and disconnect times', async () => {
    const read = (path: string) => JSON.parse(readFileSync(joinPath(corpus, path), 'utf8')) as Delivery;
    const b = await bridge();
    await post(b.webhook, [read('client-join/gaddeblog-1.json'), read('client-sessions/gaddeblog-1.json')]);
    await b.stop();
    const { root, children } = assertOneTrace(sessionSpans());
    expect([root.startTimeUnixNano, root.endTimeUnixNano]).toEqual([ns('1695172665.083'), ns('1695189374.476')]);
    expect(root.status.code).toBe(1);
    expect(root.attributes).toMatchObject({ 'mist.ap': 'xx2316ed6axx', 'mist.client_os': 'Windows 10', 'mist.wlan_id': '77ed81d2-4fab-4df7-807a-0b679900d8f7' });
    expect(only(children('connected'), 'connected').endTimeUnixNano).toBe(ns('1695189374.476'));
  });
});
