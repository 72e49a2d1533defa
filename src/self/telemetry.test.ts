import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { DrivenMetricReader } from '../signals/providers.js';
import { createSelfTelemetry } from './telemetry.js';

async function sums(reader: DrivenMetricReader, name: string): Promise<Array<{ attributes: unknown; value: number }>> {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value as number }));
}

describe('self-telemetry counters', () => {
  const setup = () => {
    const reader = new DrivenMetricReader();
    const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
    const telemetry = createSelfTelemetry(provider.getMeter('self'));
    return { reader, telemetry };
  };

  it('count deliveries by status and events by topic, cumulatively, at every collection', async () => {
    const { reader, telemetry } = setup();
    telemetry.delivery(200);
    telemetry.delivery(200);
    telemetry.delivery(401);
    telemetry.events('alarms', 3, 0, 0);
    expect(await sums(reader, 'mist.bridge.deliveries')).toEqual([
      { attributes: { 'http.response.status_code': 200 }, value: 2 },
      { attributes: { 'http.response.status_code': 401 }, value: 1 },
    ]);
    telemetry.events('alarms', 2, 0, 0);
    expect(await sums(reader, 'mist.bridge.events')).toEqual([{ attributes: { topic: 'alarms' }, value: 5 }]);
  });

  it('fold topics past 2,000 into the overflow series, as the SDK does, so senders cannot grow it', async () => {
    const { reader, telemetry } = setup();
    for (let i = 0; i < 2100; i++) telemetry.events(`topic-${i}`, 1, 0, 0);
    const points = await sums(reader, 'mist.bridge.events');
    expect(points).toHaveLength(2000);
    expect(points.find((p) => (p.attributes as Record<string, unknown>)['otel.metric.overflow'] === true)?.value).toBe(101);
    expect(points.reduce((n, p) => n + p.value, 0)).toBe(2100);
  });
});
