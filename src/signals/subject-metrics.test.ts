import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { MetricDeclaration } from '../mapping/loader.js';
import type { MetricAttributes, MetricOutput, Subject } from '../mapping/types.js';
import { createMetricRecorder, EventTimeGauges } from './metrics.js';
import { DrivenMetricReader } from './providers.js';
import { observeSubjectMetrics, SubjectMetrics } from './subject-metrics.js';

const S = 1_000_000_000n;
const T0 = 1_750_000_000n * S;
const TTL = 600n * S;

const DECLARATIONS: MetricDeclaration[] = [
  { name: 'd.cpu', instrument: 'gauge', gauge: 'sample', subject: true, unit: '1', description: 'cpu' },
  { name: 'd.io', instrument: 'counter', counter: 'observed', subject: true, unit: 'By', description: 'io' },
  { name: 'c.count', instrument: 'gauge', aggregate: 'count', subject: true, unit: '{client}', description: 'count' },
  { name: 'c.rssi', instrument: 'histogram', aggregate: 'latest', subject: true, unit: 'dBm', description: 'rssi', buckets: [-80, -70, -60] },
  { name: 'c.io', instrument: 'counter', counter: 'observed', aggregate: 'sum', subject: true, unit: 'By', description: 'io' },
];

interface Got {
  type: sdkMetrics.DataPointType;
  temporality: sdkMetrics.AggregationTemporality;
  monotonic: boolean | undefined;
  points: { start: bigint; t: bigint; v: unknown; a: unknown }[];
}

const ns = (t: [number, number]) => BigInt(t[0]) * S + BigInt(t[1]);

function setup(options: { maxSeries?: number; delta?: boolean } = {}) {
  let now = T0 + 100n * S;
  const subjects = new SubjectMetrics({
    now: () => now,
    maxSeries: options.maxSeries,
    temporality: () => (options.delta ? sdkMetrics.AggregationTemporality.DELTA : sdkMetrics.AggregationTemporality.CUMULATIVE),
  });
  const gauges = new EventTimeGauges(() => now);
  const reader = new DrivenMetricReader({ metricProducers: [gauges, subjects] });
  const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
  const recorder = createMetricRecorder(provider.getMeter('test'), DECLARATIONS, gauges, subjects);
  const collect = async (): Promise<Record<string, Got>> => {
    recorder.flush();
    const { resourceMetrics } = await reader.collect();
    const out: Record<string, Got> = {};
    for (const m of resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)) {
      out[m.descriptor.name] = {
        type: m.dataPointType,
        temporality: m.aggregationTemporality,
        monotonic: 'isMonotonic' in m ? m.isMonotonic : undefined,
        points: (m.dataPoints as sdkMetrics.DataPoint<unknown>[]).map((p) => ({ start: ns(p.startTime), t: ns(p.endTime), v: p.value, a: p.attributes })),
      };
    }
    return out;
  };
  const subject = (key: string, ttlNs = TTL, attributes: MetricAttributes = {}): Subject => ({
    key,
    ttlNs,
    attributes,
    attributesKey: JSON.stringify(attributes),
  });
  // As the mapping makes them: the point's own attributes, its subject's beside them.
  const point = (name: string, value: number, timeNs: bigint, about: Subject, extra: Partial<MetricOutput> = {}): MetricOutput => ({
    name,
    value,
    attributes: {},
    timeNs,
    subject: about,
    seriesKey: name,
    ...extra,
  });
  return { subjects, recorder, collect, subject, point, advance: (d: bigint) => (now += d), now: () => now };
}

describe('per-subject gauges', () => {
  it('exports the newest point per series at its report time, again until the TTL, then ends the series', async () => {
    const { recorder, collect, subject, point, advance } = setup();
    const ap = subject('ap1');
    recorder.record([point('d.cpu', 0.05, T0, ap)]);
    recorder.record([point('d.cpu', 0.07, T0 + 25n * S, ap)]);
    expect((await collect())['d.cpu']!.points.map((p) => [p.t, p.v])).toEqual([[T0 + 25n * S, 0.07]]);
    advance(TTL - S);
    expect((await collect())['d.cpu']!.points.map((p) => [p.t, p.v])).toEqual([[T0 + 25n * S, 0.07]]);
    advance(S);
    expect((await collect())['d.cpu']).toBeUndefined();
  });

  it("ends a subject's series past their TTL one by one, keeping the others' points and counts", async () => {
    const { subjects, recorder, collect, subject, point, advance } = setup();
    const ap = subject('ap1', 100n * S);
    const port = (i: number, value: number, at: bigint) => point('d.io', value, at, ap, { seriesKey: `d.io|${i}`, attributes: { port: `${i}` } });
    recorder.record([point('d.cpu', 0.1, T0, ap), port(1, 10, T0), port(2, 20, T0), port(3, 30, T0)]);
    advance(60n * S);
    // Only ports 1 and 3 report again: the CPU and port 2 end 40 s later, the others live on.
    recorder.record([port(3, 35, T0 + 60n * S), port(1, 15, T0 + 60n * S)]);
    advance(40n * S);
    let got = await collect();
    expect(got['d.cpu']).toBeUndefined();
    expect(got['d.io']!.points.map((p) => [p.a, p.start, p.t, p.v])).toEqual([
      [{ port: '1' }, T0, T0 + 60n * S, 15],
      [{ port: '3' }, T0, T0 + 60n * S, 35],
    ]);
    expect(subjects.size.series).toBe(2);
    recorder.record([port(2, 5, T0 + 100n * S), port(3, 40, T0 + 100n * S)]);
    got = await collect();
    expect(got['d.io']!.points.map((p) => [p.a, p.t, p.v])).toEqual([
      [{ port: '1' }, T0 + 60n * S, 15],
      [{ port: '3' }, T0 + 100n * S, 40],
      [{ port: '2' }, T0 + 100n * S, 5],
    ]);
  });

  it('keeps one series per subject and series key, carrying the newest identity; no older report, no second value for an exported time', async () => {
    const { recorder, collect, subject, point } = setup();
    recorder.record([point('d.cpu', 0.1, T0, subject('ap1', TTL, { 'mist.device_mac': 'ap1' }))]);
    expect((await collect())['d.cpu']!.points.map((p) => [p.t, p.v, p.a])).toEqual([[T0, 0.1, { 'mist.device_mac': 'ap1' }]]);
    const lobby = subject('ap1', TTL, { 'mist.device_mac': 'ap1', 'mist.device_name': 'lobby' });
    recorder.record([point('d.cpu', 0.2, T0 + S, lobby)]);
    expect((await collect())['d.cpu']!.points.map((p) => [p.t, p.v, p.a])).toEqual([[T0 + S, 0.2, { 'mist.device_mac': 'ap1', 'mist.device_name': 'lobby' }]]);
    recorder.record([point('d.cpu', 0.9, T0 + S, lobby), point('d.cpu', 0.9, T0, lobby)]);
    expect((await collect())['d.cpu']!.points.map((p) => [p.t, p.v])).toEqual([[T0 + S, 0.2]]);
    // Before it went out, a later report of the same time wins.
    recorder.record([point('d.cpu', 0.3, T0 + 2n * S, lobby), point('d.cpu', 0.4, T0 + 2n * S, lobby)]);
    expect((await collect())['d.cpu']!.points.map((p) => [p.t, p.v])).toEqual([[T0 + 2n * S, 0.4]]);
  });

  it('overflows past the series budget into one marked series', async () => {
    const { recorder, collect, subject, point } = setup({ maxSeries: 3 });
    recorder.record(['a', 'b', 'c', 'd', 'e'].map((k, i) => point('d.cpu', i, T0 + BigInt(i), subject(k))));
    const got = (await collect())['d.cpu']!.points;
    expect(got.map((p) => [p.v, p.a])).toEqual([
      [0, {}],
      [1, {}],
      [2, {}],
      [4, { 'otel.metric.overflow': true }],
    ]);
  });
});

describe('observed counters', () => {
  it("export the sender's own count from its boot, never a sum of reports, and start again when it reboots", async () => {
    const { recorder, collect, subject, point, advance } = setup();
    const ap = subject('ap1');
    const boot = T0 - 86_400n * S;
    recorder.record([point('d.io', 1_000, T0, ap, { uptime: 86_400 })]);
    recorder.record([point('d.io', 1_500, T0 + 25n * S, ap, { uptime: 86_425 })]);
    let got = (await collect())['d.io']!;
    expect(got).toMatchObject({ type: sdkMetrics.DataPointType.SUM, temporality: sdkMetrics.AggregationTemporality.CUMULATIVE, monotonic: true });
    // Two reports of one count between collections: the last says it all.
    expect(got.points.map((p) => [p.start, p.t, p.v])).toEqual([[boot, T0 + 25n * S, 1_500]]);
    // No report since: the same point again (idempotent), never re-added.
    advance(60n * S);
    expect((await collect())['d.io']!.points.map((p) => [p.start, p.t, p.v])).toEqual([[boot, T0 + 25n * S, 1_500]]);

    // A reboot: uptime and count go back. The new count starts at the new boot.
    const reboot = T0 + 200n * S;
    recorder.record([point('d.io', 40, T0 + 230n * S, ap, { uptime: 30 })]);
    recorder.record([point('d.io', 90, T0 + 255n * S, ap, { uptime: 55 })]);
    got = (await collect())['d.io']!;
    expect(got.points.map((p) => [p.start, p.t, p.v])).toEqual([[reboot, T0 + 255n * S, 90]]);
    // A count that went on, then restarted, within one collection: its last report goes out first.
    recorder.record([point('d.io', 150, T0 + 280n * S, ap, { uptime: 80 }), point('d.io', 10, T0 + 400n * S, ap, { uptime: 5 })]);
    got = (await collect())['d.io']!;
    expect(got.points.map((p) => [p.start, p.t, p.v])).toEqual([
      [reboot, T0 + 280n * S, 150],
      [T0 + 395n * S, T0 + 400n * S, 10],
    ]);
  });

  it('start again when the uptime goes back even if the count does not; a count that goes back without an uptime starts at the last report', async () => {
    const { recorder, collect, subject, point } = setup();
    const ap = subject('ap1');
    recorder.record([point('d.io', 100, T0, ap, { uptime: 1000 })]);
    await collect();
    // Uptime 10 s at T0 + 60 s: it rebooted at T0 + 50 s, and already counted past 100.
    recorder.record([point('d.io', 5_000, T0 + 60n * S, ap, { uptime: 10 })]);
    expect((await collect())['d.io']!.points.map((p) => [p.start, p.v])).toEqual([[T0 + 50n * S, 5_000]]);
    // No uptime in the report: a count that went back starts at the report before it.
    recorder.record([point('d.io', 7, T0 + 90n * S, ap)]);
    expect((await collect())['d.io']!.points.map((p) => [p.start, p.v])).toEqual([[T0 + 60n * S, 7]]);
  });

  it('with delta temporality, export the increase since the last point, the whole count after a restart', async () => {
    const { recorder, collect, subject, point, advance } = setup({ delta: true });
    const ap = subject('ap1');
    const boot = T0 - 100n * S;
    recorder.record([point('d.io', 1_000, T0, ap, { uptime: 100 })]);
    expect((await collect())['d.io']!.points.map((p) => [p.start, p.t, p.v])).toEqual([[boot, T0, 1_000]]);
    recorder.record([point('d.io', 1_300, T0 + 25n * S, ap, { uptime: 125 })]);
    const got = (await collect())['d.io']!;
    expect(got.temporality).toBe(sdkMetrics.AggregationTemporality.DELTA);
    expect(got.points.map((p) => [p.start, p.t, p.v])).toEqual([[T0, T0 + 25n * S, 300]]);
    advance(30n * S);
    expect((await collect())['d.io']).toBeUndefined();
    recorder.record([point('d.io', 20, T0 + 60n * S, ap, { uptime: 10 })]);
    expect((await collect())['d.io']!.points.map((p) => [p.start, p.t, p.v])).toEqual([[T0 + 50n * S, T0 + 60n * S, 20]]);
  });

  it('past the budget, add only what overflowing series count from then on, to one monotonic overflow series', async () => {
    const { recorder, collect, subject, point, now } = setup({ maxSeries: 1 });
    recorder.record([point('d.io', 100, T0, subject('a')), point('d.io', 1_000, T0, subject('b')), point('d.io', 5_000, T0, subject('c'))]);
    expect((await collect())['d.io']!.points.map((p) => [p.v, p.a])).toEqual([
      [100, {}],
      [0, { 'otel.metric.overflow': true }],
    ]);
    recorder.record([point('d.io', 1_100, T0 + S, subject('b')), point('d.io', 30, T0 + S, subject('c'))]);
    const overflow = (await collect())['d.io']!.points.at(-1)!;
    // b counted 100 more; c went back (a restart): its 30 are new.
    expect([overflow.v, overflow.t]).toEqual([130, now()]);
  });
});

describe('aggregates over subjects (clients)', () => {
  const corp5 = { 'mist.site_id': 's1', 'mist.ssid': 'corp', 'mist.band': '5' };
  const corp24 = { 'mist.site_id': 's1', 'mist.ssid': 'corp', 'mist.band': '24' };

  it('count live subjects and distribute their latest values per attribute set; a roaming subject moves', async () => {
    const { recorder, collect, subject, point } = setup();
    const report = (mac: string, rssi: number, at: bigint, attributes: MetricAttributes) => {
      const c = subject(mac, 300n * S, attributes);
      recorder.record([point('c.count', 1, at, c), point('c.rssi', rssi, at, c)]);
    };
    report('c1', -55, T0, corp5);
    report('c2', -65, T0, corp5);
    report('c3', -75, T0, corp24);
    report('c1', -58, T0 + 60n * S, corp5); // the same client again: replaces, not adds
    let got = await collect();
    expect(got['c.count']!.points.map((p) => [p.a, p.v])).toEqual([
      [corp5, 2],
      [corp24, 1],
    ]);
    expect(got['c.rssi']!.points.map((p) => [p.a, p.v])).toEqual([
      [corp5, { buckets: { boundaries: [-80, -70, -60], counts: [0, 0, 1, 1] }, sum: -123, count: 2 }],
      [corp24, { buckets: { boundaries: [-80, -70, -60], counts: [0, 1, 0, 0] }, sum: -75, count: 1 }],
    ]);
    // c3 roams to 5 GHz. Its old set has no one left: it says 0 once, then ends.
    report('c3', -62, T0 + 61n * S, corp5);
    got = await collect();
    expect(got['c.count']!.points.map((p) => [p.a, p.v])).toEqual([
      [corp5, 3],
      [corp24, 0],
    ]);
    // Cumulative: each collection adds the distribution of that moment.
    expect(got['c.rssi']!.points.map((p) => [p.a, (p.v as { count: number }).count])).toEqual([
      [corp5, 2 + 3],
      [corp24, 1 + 0],
    ]);
    got = await collect();
    expect(got['c.count']!.points.map((p) => p.a)).toEqual([corp5]);
  });

  it('keep each subject its own contributions when subjects that reported the same metrics report different ones later', async () => {
    const { recorder, collect, subject, point } = setup();
    const c1 = subject('c1', 300n * S, corp5);
    const c2 = subject('c2', 300n * S, corp5);
    recorder.record([point('c.count', 1, T0, c1)]);
    recorder.record([point('c.count', 1, T0, c2)]);
    // c1 adds a metric; c2, whose contributions had the same keys, does not.
    recorder.record([point('c.rssi', -55, T0 + S, c1), point('c.count', 1, T0 + S, c1)]);
    recorder.record([point('c.count', 1, T0 + S, c2)]);
    let got = await collect();
    expect(got['c.count']!.points.map((p) => p.v)).toEqual([2]);
    expect(got['c.rssi']!.points.map((p) => (p.v as { count: number }).count)).toEqual([1]);
    // c2 reports the rssi too, then roams alone: each moves only what is its own.
    recorder.record([point('c.rssi', -75, T0 + 2n * S, c2)]);
    const c2on24 = subject('c2', 300n * S, corp24);
    recorder.record([point('c.count', 1, T0 + 3n * S, c2on24), point('c.rssi', -65, T0 + 3n * S, c2on24)]);
    got = await collect();
    expect(got['c.count']!.points.map((p) => [p.a, p.v])).toEqual([
      [corp5, 1],
      [corp24, 1],
    ]);
    // Cumulative: corp5 holds c1's -55 of both collections; c2's -75 went with it to 2.4 GHz as -65.
    expect(got['c.rssi']!.points.map((p) => [p.a, (p.v as { buckets: { counts: number[] } }).buckets.counts])).toEqual([
      [corp5, [0, 0, 0, 2]],
      [corp24, [0, 0, 1, 0]],
    ]);
  });

  it('forget a subject silent past its TTL', async () => {
    const { recorder, collect, subject, point, advance } = setup();
    recorder.record([point('c.count', 1, T0, subject('c1', 300n * S, corp5)), point('c.count', 1, T0, subject('c2', 120n * S, corp5))]);
    expect((await collect())['c.count']!.points.map((p) => p.v)).toEqual([2]);
    advance(120n * S);
    expect((await collect())['c.count']!.points.map((p) => p.v)).toEqual([1]);
    advance(180n * S);
    expect((await collect())['c.count']!.points.map((p) => p.v)).toEqual([0]);
    expect((await collect())['c.count']).toBeUndefined();
  });

  it("add up every subject's increases, start a reconnected subject from zero, and add a subject first seen only if it connected while watched", async () => {
    const { recorder, collect, subject, point, now } = setup();
    const io = (mac: string, value: number, at: bigint, connected: bigint) =>
      point('c.io', value, at, subject(mac, 300n * S, corp5), { uptime: Number((at - connected) / S) });
    // c1 connected an hour before this process started: its past is not ours to add.
    recorder.record([io('c1', 50_000, T0 + 100n * S, T0 - 3600n * S)]);
    // c2 connected after it started: all it counted is new.
    recorder.record([io('c2', 700, T0 + 110n * S, T0 + 105n * S)]);
    let got = (await collect())['c.io']!;
    expect(got.points.map((p) => [p.start, p.t, p.v])).toEqual([[now(), now(), 700]]);
    recorder.record([io('c1', 50_300, T0 + 160n * S, T0 - 3600n * S)]);
    // c2 reconnects: uptime back to 5 s, count back to 40.
    recorder.record([io('c2', 40, T0 + 170n * S, T0 + 165n * S)]);
    got = (await collect())['c.io']!;
    expect(got.points.map((p) => p.v)).toEqual([700 + 300 + 40]);
    expect(got).toMatchObject({ type: sdkMetrics.DataPointType.SUM, monotonic: true, temporality: sdkMetrics.AggregationTemporality.CUMULATIVE });
  });
});

describe('self-telemetry of what is held', () => {
  it('reports the series and clients held, and their release past the TTL', async () => {
    const { subjects, recorder, subject, point, advance } = setup();
    const selfReader = new DrivenMetricReader();
    const selfProvider = new sdkMetrics.MeterProvider({ readers: [selfReader] });
    observeSubjectMetrics(selfProvider.getMeter('self'), subjects);
    const held = async () => {
      const { resourceMetrics } = await selfReader.collect();
      const value = (name: string) => resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)!.dataPoints[0]!.value;
      return [value('mist.bridge.subject.series'), value('mist.bridge.subject.clients')];
    };
    recorder.record([point('d.cpu', 0.1, T0, subject('ap1')), point('d.io', 5, T0, subject('ap1'))]);
    recorder.record([point('c.count', 1, T0, subject('c1', 300n * S))]);
    expect(await held()).toEqual([2, 1]);
    advance(TTL);
    await subjects.collect();
    expect(await held()).toEqual([0, 0]);
  });

  it('reports the series of the fullest metric against the budget per metric, aggregates included', async () => {
    const { subjects, recorder, subject, point, advance } = setup({ maxSeries: 3 });
    const selfReader = new DrivenMetricReader();
    const selfProvider = new sdkMetrics.MeterProvider({ readers: [selfReader] });
    observeSubjectMetrics(selfProvider.getMeter('self'), subjects);
    const perMetric = async () => {
      const { resourceMetrics } = await selfReader.collect();
      const value = (name: string) => resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)!.dataPoints[0]!.value;
      return { max: value('mist.bridge.subject.series.per_metric.max'), limit: value('mist.bridge.subject.series.per_metric.limit') };
    };
    expect(await perMetric()).toEqual({ max: 0, limit: 3 });
    // Two clients of two sites: two groups of one aggregate, more than any device metric has.
    recorder.record([point('d.cpu', 0.1, T0, subject('ap1'))]);
    recorder.record([point('c.count', 1, T0, subject('c1', 300n * S, { 'mist.site_id': 's1' }))]);
    recorder.record([point('c.count', 1, T0, subject('c2', 300n * S, { 'mist.site_id': 's2' }))]);
    expect(await perMetric()).toEqual({ max: 2, limit: 3 });
    // Five APs: three series and the overflow series, which is not counted.
    recorder.record(['ap2', 'ap3', 'ap4', 'ap5'].map((k, i) => point('d.cpu', i, T0 + BigInt(i), subject(k))));
    expect(await perMetric()).toEqual({ max: 3, limit: 3 });
    advance(TTL);
    await subjects.collect();
    expect(await perMetric()).toEqual({ max: 0, limit: 3 });
  });
});

describe('a collection in parts (the export loop)', () => {
  /** Every point of a collection's parts as `metric start t value attributes`, and the parts' sizes. */
  const taken = (parts: Iterable<sdkMetrics.ScopeMetrics>) => {
    const points: string[] = [];
    const sizes: number[] = [];
    for (const part of parts) {
      let n = 0;
      for (const m of part.metrics) {
        for (const p of m.dataPoints as sdkMetrics.DataPoint<unknown>[])
          points.push(`${m.descriptor.name} ${ns(p.startTime)} ${ns(p.endTime)} ${JSON.stringify(p.value)} ${JSON.stringify(p.attributes)}`);
        n += m.dataPoints.length;
      }
      sizes.push(n);
    }
    return { points: points.sort(), sizes };
  };
  const corp5 = { 'mist.site_id': 's1', 'mist.ssid': 'corp', 'mist.band': '5' };
  const feed = (s: ReturnType<typeof setup>) => {
    for (let i = 0; i < 7; i++) {
      const ap = s.subject(`ap${i}`, TTL, { 'mist.device_mac': `ap${i}` });
      s.recorder.record([s.point('d.cpu', i / 10, T0 + BigInt(i), ap), s.point('d.io', 1000 * i, T0 + BigInt(i), ap, { uptime: 3600 })]);
      const c = s.subject(`c${i}`, 300n * S, { ...corp5, 'mist.band': i % 2 ? '5' : '24' });
      s.recorder.record([s.point('c.count', 1, T0 + BigInt(i), c), s.point('c.rssi', -50 - i, T0 + BigInt(i), c)]);
    }
  };

  it('holds the points of one whole collection, in parts of about the size asked for, each metric with one descriptor object', async () => {
    const whole = setup();
    const parted = setup();
    feed(whole);
    feed(parted);
    const { resourceMetrics } = await whole.subjects.collect();
    const got = taken(parted.subjects.collectParts(3));
    expect(got.points).toEqual(taken(resourceMetrics.scopeMetrics).points);
    expect(got.points).toHaveLength(7 + 7 + 2 + 2);
    expect(got.sizes.length).toBeGreaterThan(4);
    expect(Math.max(...got.sizes)).toBeLessThanOrEqual(3 + 1);
    // Requests join the pieces of a metric by its descriptor object.
    const descriptors = new Map<string, Set<unknown>>();
    for (const part of parted.subjects.collectParts(3))
      for (const m of part.metrics) descriptors.set(m.descriptor.name, (descriptors.get(m.descriptor.name) ?? new Set()).add(m.descriptor));
    expect([...descriptors.values()].map((d) => d.size)).toEqual([1, 1, 1, 1]);
  });

  it('takes a report that arrives while a part is out: in this collection if its series is not reached yet, else in the next', async () => {
    const { subjects, recorder, subject, point } = setup();
    const first = subject('ap1');
    const second = subject('ap2');
    recorder.record([point('d.cpu', 0.1, T0, first)]);
    recorder.record([point('d.cpu', 0.2, T0, second)]);
    const parts = subjects.collectParts(1);
    expect(taken([parts.next().value as sdkMetrics.ScopeMetrics]).points).toEqual([`d.cpu ${T0} ${T0} 0.1 {}`]);
    recorder.record([point('d.cpu', 0.3, T0 + S, subject('ap1'))]);
    recorder.record([point('d.cpu', 0.4, T0 + S, subject('ap2'))]);
    expect(taken(parts).points).toEqual([`d.cpu ${T0 + S} ${T0 + S} 0.4 {}`]);
    expect(taken(subjects.collectParts(1)).points).toEqual([`d.cpu ${T0 + S} ${T0 + S} 0.3 {}`, `d.cpu ${T0 + S} ${T0 + S} 0.4 {}`]);
  });

  it('leaves the series a collection given up on did not reach to the next, and no point of it behind', async () => {
    const { subjects, recorder, subject, point } = setup();
    for (const [i, mac] of ['ap1', 'ap2', 'ap3'].entries()) recorder.record([point('d.cpu', i, T0, subject(mac))]);
    const parts = subjects.collectParts(2);
    expect(taken([parts.next().value as sdkMetrics.ScopeMetrics]).points).toHaveLength(2);
    parts.return(undefined);
    expect(taken(subjects.collectParts(2)).points).toEqual([0, 1, 2].map((v) => `d.cpu ${T0} ${T0} ${v} {}`));
  });

  it('does not lose a report of a subject whose series all ended while a part was out', async () => {
    const { subjects, recorder, subject, point, advance } = setup();
    recorder.record([point('d.cpu', 0.1, T0, subject('ap1', 10n * S))]);
    recorder.record([point('d.cpu', 0.2, T0, subject('ap2'))]);
    advance(10n * S);
    const parts = subjects.collectParts(1);
    // ap1 is past its TTL: its series end, and its set of series goes, before ap2's point is handed on.
    expect(taken([parts.next().value as sdkMetrics.ScopeMetrics]).points).toEqual([`d.cpu ${T0} ${T0} 0.2 {}`]);
    const again = subject('ap1');
    recorder.record([point('d.cpu', 0.5, T0 + 20n * S, again), point('d.io', 7, T0 + 20n * S, again)]);
    taken(parts);
    const next = taken(subjects.collectParts(100)).points;
    expect(next).toContain(`d.cpu ${T0 + 20n * S} ${T0 + 20n * S} 0.5 {}`);
    expect(next.some((p) => p.startsWith('d.io '))).toBe(true);
  });
});
