import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import type { MetricDeclaration } from '../mapping/loader.js';
import { createMetricRecorder, EventTimeGauges, MAX_SERIES, SAMPLE_HOLD_NS } from './metrics.js';
import { DrivenMetricReader } from './providers.js';
import { SubjectMetrics } from './subject-metrics.js';

const S = 1_000_000_000n;
const T0 = 1_750_000_000n * S;

const DECLARATIONS: MetricDeclaration[] = [
  { name: 'mist.events', instrument: 'counter', unit: '{event}', description: 'events' },
  { name: 'mist.latency', instrument: 'gauge', gauge: 'sample', unit: 's', description: 'latency' },
  { name: 'mist.device.up', instrument: 'gauge', gauge: 'state', identity: ['mist.device_mac'], unit: '1', description: 'up' },
  { name: 'mist.duration', instrument: 'histogram', unit: 's', description: 'duration', buckets: [1, 10] },
];

function setup() {
  let now = T0 + 3600n * S;
  const gauges = new EventTimeGauges(() => now);
  const reader = new DrivenMetricReader({ metricProducers: [gauges] });
  const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
  const recorder = createMetricRecorder(provider.getMeter('test'), DECLARATIONS, gauges, new SubjectMetrics());
  /** One collection of the export loop, whose export the backend took (`delivered`) or did not. */
  const collect = async (delivered = true) => {
    recorder.flush(); // as the bridge's export loop does before it collects
    const { resourceMetrics } = await reader.collect();
    gauges.collected(delivered);
    const out: Record<string, { unit: string; type: number; points: { t: bigint; v: unknown; a: unknown }[] }> = {};
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) {
        out[m.descriptor.name] = {
          unit: m.descriptor.unit,
          type: m.dataPointType,
          points: (m.dataPoints as sdkMetrics.DataPoint<unknown>[]).map((p) => ({
            t: BigInt(p.endTime[0]) * S + BigInt(p.endTime[1]),
            v: p.value,
            a: p.attributes,
          })),
        };
      }
    }
    return out;
  };
  return { recorder, collect, reader, advance: (ns: bigint) => (now += ns), now: () => now };
}

describe('event-time gauges through a real MetricReader', () => {
  it('sends every sample of a collection the backend did not take again with the next, until one is taken', async () => {
    const { recorder, collect } = setup();
    const a = { 'mist.site_id': 's1' };
    recorder.record([
      { name: 'mist.latency', value: 1, attributes: a, timeNs: T0 },
      { name: 'mist.latency', value: 2, attributes: a, timeNs: T0 + 600n * S },
    ]);
    expect((await collect(false))['mist.latency']!.points.map((p) => p.v)).toEqual([1, 2]);
    recorder.record([{ name: 'mist.latency', value: 3, attributes: a, timeNs: T0 + 1200n * S }]);
    expect((await collect(true))['mist.latency']!.points.map((p) => p.v)).toEqual([1, 2, 3]);
    // Taken: only the newest is held for re-sending, as for any sample.
    expect((await collect())['mist.latency']!.points.map((p) => p.v)).toEqual([3]);
  });

  it('exports a sample gauge point at the event time, not the collection time', async () => {
    const { recorder, collect } = setup();
    recorder.record([{ name: 'mist.latency', value: 0.25, attributes: { 'mist.site_id': 's1' }, timeNs: T0 + 123_456_000n }]);
    const got = await collect();
    expect(got['mist.latency']).toEqual({
      unit: 's',
      type: sdkMetrics.DataPointType.GAUGE,
      points: [{ t: T0 + 123_456_000n, v: 0.25, a: { 'mist.site_id': 's1' } }],
    });
  });

  it('exports every sample received between collections, then re-sends the newest until the hold ends', async () => {
    const { recorder, collect, advance } = setup();
    const a = { 'mist.site_id': 's1' };
    recorder.record([
      { name: 'mist.latency', value: 1, attributes: a, timeNs: T0 },
      { name: 'mist.latency', value: 2, attributes: a, timeNs: T0 + 600n * S },
      { name: 'mist.latency', value: 0.5, attributes: a, timeNs: T0 + 300n * S }, // older than the newest: not exported
    ]);
    expect((await collect())['mist.latency']!.points.map((p) => [p.t, p.v])).toEqual([
      [T0, 1],
      [T0 + 600n * S, 2],
    ]);
    advance(60n * S);
    expect((await collect())['mist.latency']!.points.map((p) => [p.t, p.v])).toEqual([[T0 + 600n * S, 2]]);
    advance(SAMPLE_HOLD_NS);
    expect((await collect())['mist.latency']).toBeUndefined();
  });

  it('keeps a state gauge alive at collection time, and stamps changes with their event time', async () => {
    const { recorder, collect, advance, now } = setup();
    const ap = { 'mist.device_mac': 'ap1' };
    recorder.record([{ name: 'mist.device.up', value: 0, attributes: ap, timeNs: T0 }]);
    expect((await collect())['mist.device.up']!.points.map((p) => [p.t, p.v])).toEqual([[T0, 0]]);
    advance(3600n * S);
    expect((await collect())['mist.device.up']!.points.map((p) => [p.t, p.v])).toEqual([[now(), 0]]);
    const lastExported = now();
    // An event whose time is before the last exported point stays in order, just after it.
    recorder.record([{ name: 'mist.device.up', value: 1, attributes: ap, timeNs: T0 + 60n * S }]);
    expect((await collect())['mist.device.up']!.points.map((p) => [p.t, p.v])).toEqual([[lastExported + 1n, 1]]);
    // Two late events before the next collection: the later event wins, whatever its stamp.
    advance(10n * S);
    recorder.record([
      { name: 'mist.device.up', value: 0, attributes: ap, timeNs: T0 + 120n * S },
      { name: 'mist.device.up', value: 1, attributes: ap, timeNs: T0 + 180n * S },
      { name: 'mist.device.up', value: 0, attributes: ap, timeNs: T0 + 150n * S }, // older than the last: ignored
    ]);
    expect((await collect())['mist.device.up']!.points.map((p) => [p.t, p.v])).toEqual([[lastExported + 2n, 1]]);
    advance(10n * S);
    recorder.record([{ name: 'mist.device.up', value: 0, attributes: ap, timeNs: now() + 5n * S }]);
    expect((await collect())['mist.device.up']!.points.map((p) => [p.t, p.v])).toEqual([[now() + 5n * S, 0]]);
  });

  it('continues a series with an identity under its new attributes (a renamed device)', async () => {
    const { recorder, collect, advance, now } = setup();
    recorder.record([{ name: 'mist.device.up', value: 1, attributes: { 'mist.device_mac': 'ap1', 'mist.device_name': 'old' }, timeNs: T0 }]);
    recorder.record([{ name: 'mist.device.up', value: 1, attributes: { 'mist.device_mac': 'ap2', 'mist.device_name': 'other' }, timeNs: T0 }]);
    await collect();
    recorder.record([{ name: 'mist.device.up', value: 0, attributes: { 'mist.device_mac': 'ap1', 'mist.device_name': 'new' }, timeNs: T0 + 60n * S }]);
    expect((await collect())['mist.device.up']!.points.map((p) => [p.a, p.v])).toEqual([
      [{ 'mist.device_mac': 'ap1', 'mist.device_name': 'new' }, 0],
      [{ 'mist.device_mac': 'ap2', 'mist.device_name': 'other' }, 1],
    ]);
    advance(60n * S);
    expect((await collect())['mist.device.up']!.points.map((p) => [p.t, p.a])).toEqual([
      [now(), { 'mist.device_mac': 'ap1', 'mist.device_name': 'new' }],
      [now(), { 'mist.device_mac': 'ap2', 'mist.device_name': 'other' }],
    ]);
  });

  it('keeps series apart by attributes and caps them, overflow into one marked series', async () => {
    const { recorder, collect } = setup();
    const outputs = Array.from({ length: MAX_SERIES + 5 }, (_, i) => ({
      name: 'mist.latency',
      value: i,
      attributes: { 'mist.site_id': `s${i}` },
      timeNs: T0 + BigInt(i),
    }));
    recorder.record(outputs);
    const points = (await collect())['mist.latency']!.points;
    expect(points).toHaveLength(MAX_SERIES + 1);
    expect(points.at(-1)).toEqual({ t: T0 + BigInt(MAX_SERIES + 4), v: MAX_SERIES + 4, a: { 'otel.metric.overflow': true } });
  });

  it('holds counter increments per attribute set until a flush, and hands them over past 4096 sets', async () => {
    const { recorder, collect, reader } = setup();
    recorder.record([{ name: 'mist.events', value: 1, attributes: { 'mist.topic': 'a' }, timeNs: T0 }]);
    recorder.record([{ name: 'mist.events', value: 2, attributes: { 'mist.topic': 'a' }, timeNs: T0 }]);
    const unflushed = await reader.collect();
    expect(unflushed.resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === 'mist.events')).toEqual([]);
    expect((await collect())['mist.events']!.points).toMatchObject([{ v: 3 }]);
    recorder.record(Array.from({ length: 4097 }, (_, i) => ({ name: 'mist.events', value: 1, attributes: { 'mist.topic': `t${i}` }, timeNs: T0 })));
    const total = async (flushFirst: boolean) => {
      if (flushFirst) recorder.flush();
      const { resourceMetrics } = await reader.collect();
      const events = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'mist.events')!;
      return events.dataPoints.reduce((n, p) => n + (p.value as number), 0);
    };
    // The 4097th set made the first 4096 go to the SDK at once; it waits for the flush.
    expect(await total(false)).toBe(3 + 4096);
    expect(await total(true)).toBe(3 + 4097);
  });

  it('aggregates counters and histograms in the SDK; negative counts are not counts', async () => {
    const { recorder, collect } = setup();
    recorder.record([
      { name: 'mist.events', value: 1, attributes: { 'mist.topic': 'alarms' }, timeNs: T0 },
      { name: 'mist.events', value: 1, attributes: { 'mist.topic': 'alarms' }, timeNs: T0 },
      { name: 'mist.events', value: -5, attributes: { 'mist.topic': 'alarms' }, timeNs: T0 },
      { name: 'mist.duration', value: 5, attributes: {}, timeNs: T0 },
      { name: 'mist.undeclared', value: 5, attributes: {}, timeNs: T0 },
    ]);
    const got = await collect();
    expect(got['mist.events']).toMatchObject({ unit: '{event}', type: sdkMetrics.DataPointType.SUM, points: [{ v: 2, a: { 'mist.topic': 'alarms' } }] });
    expect(got['mist.duration']!.points[0]!.v).toMatchObject({ count: 1, sum: 5, buckets: { boundaries: [1, 10], counts: [0, 1, 0] } });
    expect(got['mist.undeclared']).toBeUndefined();
  });
});
