import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { type AckSignal, BatchAck } from '../acks/ack.js';
import { createLogger } from '../log/logger.js';
import { DrivenMetricReader } from '../signals/providers.js';
import { ExportHealth } from './health.js';
import { MetricsExport } from './metrics-export.js';

/** An exporter that keeps each request and answers as told (`answers` in order, then success). */
function exporter(answers: ExportResult[] = []) {
  const requests: sdkMetrics.ResourceMetrics[] = [];
  const push: sdkMetrics.PushMetricExporter = {
    export(metrics, done) {
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

function setup(answers: ExportResult[] = []) {
  const reader = new DrivenMetricReader();
  const provider = new sdkMetrics.MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('test');
  const a = meter.createCounter('mist.a');
  const b = meter.createCounter('mist.b');
  for (let n = 0; n < 15; n++) a.add(1, { n });
  for (let n = 0; n < 10; n++) b.add(1, { n });
  const { push, requests } = exporter(answers);
  const dropped: number[] = [];
  const telemetry = { exported() {}, exportFailed() {}, exportTimedOut() {}, dropped: (_w: string, _r: string, n: number) => void dropped.push(n) };
  const log = createLogger('error', () => {});
  const settled: AckSignal[] = [];
  const ack = new BatchAck({ settled: (s) => void settled.push(s) });
  const metrics = new MetricsExport(
    push,
    reader,
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
});
