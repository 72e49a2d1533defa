import { ValueType } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { type AckSignal, BatchAck } from '../acks/ack.js';
import { createLogger } from '../log/logger.js';
import { DrivenMetricReader } from '../signals/providers.js';
import type { PartedProducer } from '../signals/series-common.js';
import { ExportHealth } from './health.js';
import { MetricsExport } from './metrics-export.js';

/** An exporter that keeps each request and answers as told (`answers` in order, then success). */
function exporter(answers: ExportResult[] = [], events: string[] = []) {
  const requests: sdkMetrics.ResourceMetrics[] = [];
  const push: sdkMetrics.PushMetricExporter = {
    export(metrics, done) {
      events.push(`request ${requests.length}`);
      requests.push(metrics);
      done(answers.shift() ?? { code: ExportResultCode.SUCCESS });
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  return { push, requests };
}

const points = (r: sdkMetrics.ResourceMetrics) =>
  r.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.dataPoints.map((p) => `${m.descriptor.name}/${String(p.attributes.n)}`)));

/**
 * A parted producer of pieces of metric `mist.p` of the sizes given (points numbered from 0),
 * telling `events` when it makes each part and when it is closed.
 */
function parted(sizes: number[], events: string[]): PartedProducer {
  const descriptor = { name: 'mist.p', description: '', unit: '1', valueType: ValueType.DOUBLE };
  const scope = { name: 'parted' };
  return {
    *collectParts() {
      let n = 0;
      try {
        for (const [i, size] of sizes.entries()) {
          events.push(`part ${i}`);
          const dataPoints = Array.from(
            { length: size },
            () => ({ startTime: [0, 0], endTime: [1, 0], attributes: { n: n++ }, value: 1 }) as sdkMetrics.DataPoint<number>,
          );
          yield {
            scope,
            metrics: [
              { descriptor, aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE, dataPointType: sdkMetrics.DataPointType.GAUGE, dataPoints },
            ],
          };
        }
      } finally {
        events.push('closed');
      }
    },
  };
}

function setup(answers: ExportResult[] = [], producers: PartedProducer[] = [], events: string[] = []) {
  const reader = new DrivenMetricReader();
  const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('test');
  const a = meter.createCounter('mist.a');
  const b = meter.createCounter('mist.b');
  for (let n = 0; n < 15; n++) a.add(1, { n });
  for (let n = 0; n < 10; n++) b.add(1, { n });
  const { push, requests } = exporter(answers, events);
  const dropped: number[] = [];
  const telemetry = { exported() {}, exportFailed() {}, exportTimedOut() {}, dropped: (_w: string, _r: string, n: number) => void dropped.push(n) };
  const log = createLogger('error', () => {});
  const settled: AckSignal[] = [];
  const ack = new BatchAck({ settled: (s) => void settled.push(s) });
  const metrics = new MetricsExport(
    push,
    reader,
    producers,
    () => {},
    () => {},
    { intervalMs: 3_600_000, maxPointsPerRequest: 10 },
    new ExportHealth(log),
    telemetry,
    log,
  );
  metrics.contributed(ack);
  ack.seal();
  return { metrics, requests, settled, dropped };
}

const failed = (status?: number): ExportResult => ({
  code: ExportResultCode.FAILED,
  error: Object.assign(new Error('refused'), status ? { code: status } : {}),
});

describe('MetricsExport', () => {
  it('sends a collection larger than maxPointsPerRequest in several requests, every point once, and settles its batches once all are taken', async () => {
    const { metrics, requests, settled } = setup();
    expect(await metrics.export()).toBe(true);
    expect(requests.map((r) => points(r).length)).toEqual([10, 10, 5]);
    expect(requests.flatMap(points).sort()).toEqual(
      [...Array.from({ length: 15 }, (_, n) => `mist.a/${n}`), ...Array.from({ length: 10 }, (_, n) => `mist.b/${n}`)].sort(),
    );
    expect(settled).toContain('metrics');
    await metrics.shutdown(Date.now() + 1000);
  });

  it('holds the batches when a request fails, and covers them with the next collection', async () => {
    const { metrics, requests, settled } = setup([{ code: ExportResultCode.SUCCESS }, failed(503)]);
    expect(await metrics.export()).toBe(false);
    expect(requests).toHaveLength(2);
    expect(settled).not.toContain('metrics');
    expect(await metrics.export()).toBe(true);
    expect(settled).toContain('metrics');
    await metrics.shutdown(Date.now() + 1000);
  });

  it('drops and counts only the request the backend refuses as malformed, and moves on', async () => {
    const { metrics, requests, settled, dropped } = setup([failed(400)]);
    expect(await metrics.export()).toBe(true);
    expect(requests).toHaveLength(3);
    expect(dropped).toEqual([10]);
    expect(settled).toContain('metrics');
    await metrics.shutdown(Date.now() + 1000);
  });

  it("sends a parted producer's collection after the reader's, making each part only once the request before it is sent, and joins a metric's pieces in a request", async () => {
    const events: string[] = [];
    const { metrics, requests, settled } = setup([], [parted([4, 4, 4, 4], events)], events);
    expect(await metrics.export()).toBe(true);
    // 25 points of the reader, then 16 of the producer, 10 a request.
    expect(requests.map((r) => points(r).length)).toEqual([10, 10, 10, 10, 1]);
    // Each request takes the parts it needs to fill up (request 2: the reader's last 5, part 0, 1 of part 1).
    expect(events).toEqual(['request 0', 'request 1', 'part 0', 'part 1', 'request 2', 'part 2', 'part 3', 'request 3', 'closed', 'request 4']);
    // The pieces of mist.p in one request are one metric.
    expect(requests[2]!.scopeMetrics.flatMap((s) => s.metrics.map((m) => `${s.scope.name}/${m.descriptor.name}/${m.dataPoints.length}`))).toEqual([
      'test/mist.b/5',
      'parted/mist.p/5',
    ]);
    expect(requests[3]!.scopeMetrics.flatMap((s) => s.metrics.map((m) => `${s.scope.name}/${m.descriptor.name}/${m.dataPoints.length}`))).toEqual([
      'parted/mist.p/10',
    ]);
    expect(requests.flatMap(points).filter((p) => p.startsWith('mist.p/'))).toEqual(Array.from({ length: 16 }, (_, n) => `mist.p/${n}`));
    expect(settled).toContain('metrics');
    await metrics.shutdown(Date.now() + 1000);
  });

  it("gives a parted producer's collection up when a request is not taken, making no further part", async () => {
    const events: string[] = [];
    const { metrics, requests, settled } = setup(
      [{ code: ExportResultCode.SUCCESS }, { code: ExportResultCode.SUCCESS }, failed(503)],
      [parted([4, 4, 4, 4], events)],
      events,
    );
    expect(await metrics.export()).toBe(false);
    expect(requests).toHaveLength(3);
    expect(events).toEqual(['request 0', 'request 1', 'part 0', 'part 1', 'request 2', 'closed']);
    expect(settled).not.toContain('metrics');
    await metrics.shutdown(Date.now() + 1000);
  });

  it('holds the batches when a parted producer fails partway, and covers them with the next collection', async () => {
    const broken = (): never => {
      throw new Error('producer broke');
    };
    const failing: PartedProducer = {
      *collectParts() {
        // Broken before its first part.
        yield* [broken()];
      },
    };
    const { metrics, settled } = setup([], [failing]);
    expect(await metrics.export()).toBe(false);
    expect(settled).not.toContain('metrics');
    await metrics.shutdown(Date.now() + 1000);
  });
});
