import { ValueType } from '@opentelemetry/api';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, AggregationType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { MetricsRequestSerializer } from './metrics-serializer.js';

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** A real SDK collection with every kind of metric the OTLP protocol has, in two scopes. */
async function collection(temporality: AggregationTemporality, n: number): Promise<ResourceMetrics> {
  const reader = new Reader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'mist-otel-bridge', 'host.ids': ['a', 'b'] }),
    readers: [reader],
    views: [{ instrumentName: 'mist.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('mist-otel-bridge', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const other = provider.getMeter('other-scope');
  const counter = meter.createCounter('mist.count', { unit: '{event}', description: 'events — counted ✓' });
  const ints = meter.createCounter('mist.ints', { valueType: ValueType.INT });
  const updown = other.createUpDownCounter('mist.updown');
  const histogram = meter.createHistogram('mist.latency', { unit: 'ms', advice: { explicitBucketBoundaries: [0, 5, 10, 250.5] } });
  const exp = meter.createHistogram('mist.exp');
  const gauge = meter.createGauge('mist.gauge', { unit: '1' });
  for (let i = 0; i < n; i++) {
    const attributes = { 'mist.site_id': `site-${i % 7}`, 'mist.band': ['24', '5', '6'][i % 3]!, 'clé 東京 🚀': i % 4, 'mist.up': i % 2 === 0 };
    counter.add(i * 1.5, attributes);
    ints.add(2 ** 40 + i, attributes);
    updown.add(i % 2 ? -i : i, attributes);
    histogram.record(i % 300, attributes);
    exp.record(i === 0 ? 0 : (-1) ** i * i * 0.75, attributes);
    gauge.record(i / 100, attributes);
  }
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics;
}

const sdkBytes = (rm: ResourceMetrics) => Buffer.from(ProtobufMetricsSerializer.serializeRequest(rm)!);

describe('MetricsRequestSerializer', () => {
  it('writes exactly the bytes of the SDK serializer, for every kind of metric, temporality and scope', async () => {
    const serializer = new MetricsRequestSerializer();
    for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
      // Large (the shared buffer grows), then small, then empty: each written over the one before.
      for (const n of [2_000, 30, 0]) {
        const rm = await collection(temporality, n);
        serializer.begin();
        const ours = Buffer.from(serializer.serializeRequest(rm));
        serializer.end();
        expect(ours.equals(sdkBytes(rm)), `${temporality} ${n}`).toBe(true);
      }
    }
  });

  it('writes each request into the buffer of the one before once that one has its answer, never into one in flight', async () => {
    const serializer = new MetricsRequestSerializer();
    const a = await collection(AggregationTemporality.CUMULATIVE, 200);
    const b = await collection(AggregationTemporality.CUMULATIVE, 50);
    serializer.begin();
    const first = serializer.serializeRequest(a);
    serializer.end();
    serializer.begin();
    const second = serializer.serializeRequest(b);
    // Answered before: its memory is the next request's.
    expect(second.buffer).toBe(first.buffer);
    // Still in flight: a third request gets a buffer of its own and leaves the second's bytes as they are.
    const sent = Buffer.from(second);
    serializer.begin();
    const third = serializer.serializeRequest(a);
    expect(third.buffer).not.toBe(second.buffer);
    expect(Buffer.from(second).equals(sent)).toBe(true);
    expect(Buffer.from(third).equals(sdkBytes(a))).toBe(true);
    serializer.end();
    serializer.end();
    expect(Buffer.from(serializer.serializeRequest(b)).equals(sdkBytes(b))).toBe(true);
  });
});
