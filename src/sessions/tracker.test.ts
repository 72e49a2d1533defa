import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchAck, releaseAll } from '../acks/ack.js';
import { createLogger } from '../log/logger.js';
import type { TraceContribution } from '../mapping/types.js';
import { buildResource, createEmitters } from '../signals/providers.js';
import { type SessionLimits, SessionTracker } from './tracker.js';

const ORG = '6f4bf402-45f9-4d1a-a1b7-1c3a9e0e7a11';
const SITE = '978c48e6-6ef6-11e6-8bbf-02e208b2d34f';
const WLAN = 'be22bba7-8e22-4a5e-9f6c-9b1e2b6b1234';
const AP1 = '5c5b35000001';
const AP2 = '5c5b35000002';
const MAC = 'ac3eb179e535';

const LIMITS: SessionLimits = {
  maxSessions: 1000,
  maxAgeMs: 3_600_000,
  settleMs: 1000,
  stitchWindowMs: 60_000,
  retainEndedMs: 600_000,
  maxPendingFacts: 10_000,
};

/**
 * A tracker on a real SDK tracer, a hand-driven clock, and the spans it finished. Each delivery
 * (`seq`) has its acknowledgement, sealed once fed, as processing does; a span is exported the
 * moment it is finished, so a delivery's spans are settled once nothing of it waits in the tracker.
 */
function harness(limits: Partial<SessionLimits> = {}) {
  const spans: ReadableSpan[] = [];
  const signals = createEmitters(buildResource(), {
    logs: () => {},
    spans: (s, acks) => {
      spans.push(s);
      for (const a of acks) a.hold('spans');
      releaseAll(acks, 'spans');
    },
  });
  let now = 1_000_000;
  const tracker = new SessionTracker(signals.spans, { ...LIMITS, ...limits }, createLogger('error'), () => now);
  const unsettled = new Set<number>();
  return {
    tracker,
    spans,
    advance(ms: number) {
      now += ms;
      tracker.sweep(false);
    },
    feed(list: TraceContribution[], seq = 1) {
      unsettled.add(seq);
      const ack = new BatchAck({ settled: (signal) => signal === 'spans' && unsettled.delete(seq) });
      for (const c of list) tracker.observe(c, ack);
      ack.seal();
    },
    /** The oldest delivery whose spans are not settled: what the journal must keep. */
    heldFrom(): number | undefined {
      return unsettled.size === 0 ? undefined : Math.min(...unsettled);
    },
  };
}

const ns = (seconds: string) => BigInt(seconds.replace('.', '').padEnd(19, '0').slice(0, 19));

function contribution(
  topic: string,
  role: string,
  timeNs: bigint,
  values: Record<string, unknown>,
  attributes: Record<string, unknown> = {},
): TraceContribution {
  return {
    topic,
    role,
    timeNs,
    values: { org_id: ORG, site_id: SITE, client_mac: MAC, ...values },
    attributes: { 'mist.site_id': SITE, 'mist.client_mac': MAC, ...attributes } as TraceContribution['attributes'],
  };
}

const join = (ap: string, connect: number) =>
  contribution(
    'client-join',
    'join',
    BigInt(Math.floor(connect)) * 1_000_000_000n,
    { ap, connect: Math.floor(connect), connect_time: connect },
    {
      'mist.ap': ap,
      'mist.wlan_id': WLAN,
      'mist.ssid': 'Corp',
      'mist.rssi': -61,
    },
  );

/** A client-sessions record; `connect` is its own connect_float (a millisecond off the join's, as in real pairs). */
const leave = (role: 'roam' | 'disconnect' | 'disconnect-error', ap: string, connect: number, disconnect: number, extra: Record<string, unknown> = {}) =>
  contribution(
    'client-sessions',
    role,
    BigInt(Math.floor(disconnect)) * 1_000_000_000n,
    { ap, connect: Math.floor(connect), connect_time: connect, disconnect_time: disconnect, reason: role === 'roam' ? 3 : role === 'disconnect' ? 1 : 2 },
    { 'mist.ap': ap, 'mist.wlan_id': WLAN, 'mist.ssid': 'Corp', 'mist.client_os': 'iOS', 'mist.termination_reason': role === 'roam' ? 3 : 1, ...extra },
  );

const nac = (role: string, type: string, ms: number, text?: string) =>
  contribution(
    'nac-events',
    role,
    BigInt(ms) * 1_000_000n,
    { type, ...(text ? { text } : {}) },
    { 'mist.ap': AP1, 'mist.auth_type': 'eap-tls', 'mist.nac_event_type': type },
  );

const info = (ip: string, seconds: number) =>
  contribution('client-info', 'ip', BigInt(seconds) * 1_000_000_000n, { ip }, { 'mist.client_ip': ip, 'mist.hostname': 'laptop-7' });

// permit → join → ip → disconnect, times as Mist reports them.
const C1 = 1749088902.64;
const PERMIT_STORY = [
  nac('auth-check', 'NAC_SERVER_CERT_VALIDATION_SUCCESS', 1749088902700),
  nac('auth-check', 'NAC_CLIENT_CERT_CHECK_SUCCESS', 1749088902702),
  nac('auth-permit', 'NAC_CLIENT_PERMIT', 1749088902707),
  join(AP1, C1),
  info('10.1.2.3', 1749088903),
  leave('disconnect', AP1, 1749088902.641, 1749092502.921),
];

const ROAM_STORY = [
  nac('auth-permit', 'NAC_CLIENT_PERMIT', 1749088902707),
  join(AP1, C1),
  leave('roam', AP1, 1749088902.641, 1749090000.5, { 'mist.next_ap': AP2 }),
  join(AP2, 1749090000.61),
  leave('disconnect', AP2, 1749090000.611, 1749092502.921),
];

function tree(spans: ReadableSpan[]) {
  return spans
    .map((s) => ({
      name: s.name,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parent: s.parentSpanContext?.spanId,
      start: BigInt(s.startTime[0]) * 1_000_000_000n + BigInt(s.startTime[1]),
      end: BigInt(s.endTime[0]) * 1_000_000_000n + BigInt(s.endTime[1]),
      status: s.status.code,
      attributes: s.attributes,
      events: s.events.map((e) => e.name),
    }))
    .sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
}

describe('SessionTracker', () => {
  it('permit → join → disconnect: one trace, the root spans connect..disconnect, children under it', () => {
    const h = harness();
    h.feed(PERMIT_STORY);
    expect(h.spans).toHaveLength(0); // held until the session settles
    h.advance(1000);
    const t = tree(h.spans);
    expect(new Set(t.map((s) => s.traceId)).size).toBe(1);
    const root = t.find((s) => s.name === 'client-session')!;
    expect(root.parent).toBeUndefined();
    expect(root.start).toBe(ns('1749088902.641')); // client-sessions' own connect_float, exact
    expect(root.end).toBe(ns('1749092502.921'));
    expect(root.status).toBe(SpanStatusCode.OK);
    expect(root.attributes['mist.session.roams']).toBe(0);
    expect(t.filter((s) => s.name !== 'client-session').every((s) => s.parent === root.spanId)).toBe(true);

    const auth = t.find((s) => s.name === 'nac-auth')!;
    expect(auth.start).toBe(1749088902700n * 1_000_000n);
    expect(auth.end).toBe(1749088902707n * 1_000_000n);
    expect(auth.events).toEqual(['NAC_SERVER_CERT_VALIDATION_SUCCESS', 'NAC_CLIENT_CERT_CHECK_SUCCESS']);
    expect(auth.attributes).toMatchObject({ 'mist.nac.result': 'permit', 'mist.auth_type': 'eap-tls', 'mist.wlan_id': WLAN, 'mist.ap': AP1 });
    expect(auth.status).toBe(SpanStatusCode.OK);

    const connected = t.filter((s) => s.name === 'connected');
    expect(connected).toHaveLength(1);
    expect(connected[0]).toMatchObject({ start: ns('1749088902.641'), end: ns('1749092502.921'), status: SpanStatusCode.OK });
    const dhcp = t.find((s) => s.name === 'dhcp')!;
    expect(dhcp.attributes).toMatchObject({ 'mist.client_ip': '10.1.2.3', 'mist.ap': AP1, 'mist.wlan_id': WLAN });
    expect(t).toHaveLength(4);
  });

  it('roam AP1 → AP2: successive connected spans under one root from the first connect to the last disconnect', () => {
    const h = harness();
    h.feed(ROAM_STORY);
    h.advance(1000);
    const t = tree(h.spans);
    const root = t.find((s) => s.name === 'client-session')!;
    expect(root.start).toBe(ns('1749088902.641'));
    expect(root.end).toBe(ns('1749092502.921'));
    expect(root.attributes['mist.session.roams']).toBe(1);
    const connected = t.filter((s) => s.name === 'connected').sort((a, b) => (a.start < b.start ? -1 : 1));
    expect(connected.map((s) => s.attributes['mist.ap'])).toEqual([AP1, AP2]);
    expect(connected[0]!.attributes['mist.next_ap']).toBe(AP2);
    expect(connected[0]!.end).toBe(ns('1749090000.5'));
    expect(connected[1]!.start).toBe(ns('1749090000.611'));
    expect(t.every((s) => s.traceId === root.traceId)).toBe(true);
  });

  it('deny without association: a failed session of its own, the deny as an error nac-auth', () => {
    const h = harness();
    h.feed([
      nac('auth-check-error', 'NAC_CLIENT_CERT_CHECK_FAILURE', 1749158551781, 'TLS Client Certificate Check failed by the Server'),
      nac('auth-deny', 'NAC_CLIENT_DENY', 1749158551790, 'returning reject'),
    ]);
    h.advance(1000);
    const t = tree(h.spans);
    expect(t.map((s) => s.name).sort()).toEqual(['client-session', 'nac-auth']);
    const root = t.find((s) => s.name === 'client-session')!;
    expect(root).toMatchObject({ status: SpanStatusCode.ERROR, start: 1749158551781n * 1_000_000n, end: 1749158551790n * 1_000_000n });
    expect(root.attributes['mist.session.associated']).toBe(false);
    const auth = t.find((s) => s.name === 'nac-auth')!;
    expect(auth).toMatchObject({ status: SpanStatusCode.ERROR, parent: root.spanId, events: ['NAC_CLIENT_CERT_CHECK_FAILURE'] });
    expect(h.spans.find((s) => s.name === 'nac-auth')!.status.message).toBe('returning reject');
  });

  it('abnormal termination marks the root and the connected span as errors', () => {
    const h = harness();
    h.feed([join(AP1, C1), leave('disconnect-error', AP1, 1749088902.641, 1749089000)]);
    h.advance(1000);
    expect(h.spans.map((s) => [s.name, s.status.code])).toEqual([
      ['connected', SpanStatusCode.ERROR],
      ['client-session', SpanStatusCode.ERROR],
    ]);
  });

  it('a redelivered story exports nothing twice', () => {
    const h = harness();
    h.feed(ROAM_STORY);
    h.feed(ROAM_STORY);
    h.advance(1000);
    const once = h.spans.length;
    h.feed(ROAM_STORY); // after the root went out: recognised from the retained session
    h.advance(1000);
    expect(h.spans).toHaveLength(once);
    expect(new Set(h.spans.map((s) => s.spanContext().spanId)).size).toBe(once);
  });

  it('any delivery order within the settle time gives the same spans', () => {
    const story = [...PERMIT_STORY.slice(0, 5), ...ROAM_STORY.slice(2)];
    const reference = harness();
    reference.feed(story);
    reference.advance(1000);
    const expected = tree(reference.spans);
    expect(expected.map((s) => s.name).sort()).toEqual(['client-session', 'connected', 'connected', 'dhcp', 'nac-auth']);
    fc.assert(
      fc.property(fc.shuffledSubarray(story, { minLength: story.length, maxLength: story.length }), (order) => {
        const h = harness();
        h.feed(order);
        h.advance(1000);
        expect(tree(h.spans)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('two instances fed the same events derive the same ids', () => {
    const a = harness();
    const b = harness();
    a.feed(ROAM_STORY);
    b.feed(ROAM_STORY);
    a.advance(1000);
    b.advance(5000);
    expect(tree(a.spans)).toEqual(tree(b.spans));
  });

  it('split across instances: each exports its part of one trace, under one root', () => {
    const a = harness();
    const b = harness();
    a.feed(PERMIT_STORY.slice(0, 5)); // NAC, join, client-info
    b.feed(PERMIT_STORY.slice(5)); // the client-sessions record
    a.tracker.sweep(true);
    b.tracker.sweep(true);
    const t = tree([...a.spans, ...b.spans]);
    const single = harness();
    single.feed(PERMIT_STORY);
    single.tracker.sweep(true);
    expect(t).toEqual(tree(single.spans));
  });

  it('a session without a disconnect ends at max age, marked incomplete', () => {
    const h = harness({ maxAgeMs: 10_000 });
    h.feed([join(AP1, C1), nac('auth-permit', 'NAC_CLIENT_PERMIT', 1749088902707)]);
    h.advance(1000);
    expect(h.spans.map((s) => s.name)).toEqual(['nac-auth']);
    h.advance(9000);
    const root = h.spans.find((s) => s.name === 'client-session')!;
    expect(root.attributes['mist.session.incomplete']).toBe(true);
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
    const connected = h.spans.find((s) => s.name === 'connected')!;
    expect(connected.attributes['mist.session.incomplete']).toBe(true);
    expect(h.tracker.snapshot.endedByMaxAge).toBe(1);
  });

  it('a session ended at max age covers nothing after it: a later join of the client starts a new trace', () => {
    const h = harness({ maxAgeMs: 5000 });
    h.feed([join(AP1, C1)]);
    h.advance(5000);
    const first = h.spans.find((s) => s.name === 'client-session')!;
    h.feed([join(AP2, C1 + 7200), leave('disconnect', AP2, C1 + 7200, C1 + 7300)]);
    h.advance(1000);
    h.advance(1000);
    const roots = h.spans.filter((s) => s.name === 'client-session');
    expect(roots).toHaveLength(2);
    expect(roots[1]!.spanContext().traceId).not.toBe(first.spanContext().traceId);
  });

  it('an event arriving after its root went out exports its own child into the same trace', () => {
    const h = harness();
    h.feed([join(AP1, C1), leave('disconnect', AP1, 1749088902.641, 1749092502.921)]);
    h.advance(1000);
    const root = h.spans.find((s) => s.name === 'client-session')!;
    h.feed([info('10.1.2.3', 1749088903)]);
    h.advance(1000);
    const dhcp = h.spans.find((s) => s.name === 'dhcp')!;
    expect(dhcp.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(dhcp.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  });

  it('shutdown exports what is held but gives an open session no root', () => {
    const h = harness();
    h.feed([nac('auth-permit', 'NAC_CLIENT_PERMIT', 1749088902707), join(AP1, C1)]);
    h.tracker.sweep(true);
    expect(h.spans.map((s) => s.name)).toEqual(['nac-auth']);
  });

  it('the table stays within maxSessions, ending the least recently active client', () => {
    const h = harness({ maxSessions: 2 });
    const other = (mac: string) => ({ ...join(AP1, C1), values: { ...join(AP1, C1).values, client_mac: mac } });
    h.feed([other('000000000001'), other('000000000002'), other('000000000003')]);
    expect(h.tracker.snapshot.sessions).toBe(2);
    expect(h.tracker.snapshot.evicted).toBe(1);
    expect(h.spans.map((s) => [s.name, s.attributes['mist.session.incomplete']])).toEqual([
      ['connected', true],
      ['client-session', true],
    ]);
  });

  it('bounds the events waiting to settle, settling the longest-waiting client early', () => {
    const h = harness({ maxPendingFacts: 2 });
    const as = (mac: string, list: TraceContribution[]) => list.map((c) => ({ ...c, values: { ...c.values, client_mac: mac } }));
    h.feed(as('000000000001', [join(AP1, C1)]), 1);
    h.feed(as('000000000002', [join(AP1, C1)]), 2);
    expect(h.tracker.snapshot.settledEarly).toBe(0);
    expect(h.heldFrom()).toBe(1);
    h.feed(as('000000000003', [join(AP1, C1)]), 3);
    // Client 1 waited longest: it was placed at once, so its delivery is no longer held.
    expect(h.tracker.snapshot.settledEarly).toBe(1);
    expect(h.heldFrom()).toBe(2);
    h.advance(1000);
    expect(h.heldFrom()).toBeUndefined();
    expect(h.tracker.snapshot.sessions).toBe(3);
  });

  it('holds the acknowledgement of a delivery whose events are still pending, so the journal keeps it', () => {
    const h = harness();
    expect(h.heldFrom()).toBeUndefined();
    h.feed(PERMIT_STORY.slice(0, 3), 7);
    h.feed(PERMIT_STORY.slice(3), 8);
    expect(h.heldFrom()).toBe(7);
    h.advance(1000);
    expect(h.heldFrom()).toBeUndefined();
  });

  it('when full, an ended session only remembered for deduplication goes without a span', () => {
    const h = harness({ maxSessions: 2 });
    const as = (mac: string, list: TraceContribution[]) => list.map((c) => ({ ...c, values: { ...c.values, client_mac: mac } }));
    h.feed(as('000000000001', [join(AP1, C1), leave('disconnect', AP1, 1749088902.641, 1749089000)]));
    h.advance(1000);
    const exported = h.spans.length;
    h.feed(as('000000000002', [join(AP1, C1)]));
    h.feed(as('000000000003', [join(AP1, C1)]));
    expect(h.spans).toHaveLength(exported);
    expect(h.tracker.snapshot).toMatchObject({ sessions: 2, evicted: 0 });
  });

  it('ignores contributions it cannot place, without throwing', () => {
    const h = harness();
    h.feed([contribution('client-join', 'join', 1n, { client_mac: undefined, ap: AP1, connect_time: C1 }), contribution('x', 'nonsense', 1n, {})]);
    expect(h.tracker.snapshot).toMatchObject({ ignored: 2, sessions: 0 });
  });
});
