import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ConsoleLogRecordExporter, LoggerProvider, type ReadableLogRecord, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, ConsoleMetricExporter, InstrumentType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '../../test/support/otlp-receiver.js';
import { exporters as exportersSection } from '../config/sections/exporters.js';
import type { OtlpExportConfig, OtlpTarget } from '../config/sections/otlp.js';
import { createExporters, type Exporters, isPull, metricTemporality } from './exporters.js';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const resource = resourceFromAttributes({ 'service.name': 'exporters-test' });

function logRecord(body: string): ReadableLogRecord {
  const out: ReadableLogRecord[] = [];
  const provider = new LoggerProvider({
    resource,
    processors: [{ onEmit: (r: ReadWriteLogRecord) => void out.push(r), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  provider.getLogger('exporters-test').emit({ body });
  return out[0]!;
}

function span(name: string) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  provider.getTracer('exporters-test').startSpan(name).end();
  return memory.getFinishedSpans();
}

class Reader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function metrics(name: string) {
  const reader = new Reader();
  const provider = new MeterProvider({ resource, readers: [reader] });
  provider.getMeter('exporters-test').createCounter(name).add(3);
  return (await reader.collect()).resourceMetrics;
}

const done = (run: (cb: (r: ExportResult) => void) => void) => new Promise<ExportResult>((resolve) => run(resolve));

function pushed(exporters: Exporters) {
  if (isPull(exporters.metrics)) throw new Error('expected a push exporter');
  return exporters.metrics;
}

async function exportAll(exporters: Exporters, tag: string): Promise<void> {
  const results = await Promise.all([
    done((cb) => exporters.logs.export([logRecord(tag)], cb)),
    done((cb) => exporters.traces.export(span(tag), cb)),
    metrics(tag.replace(/-/g, '_')).then((m) => done((cb) => pushed(exporters).export(m, cb))),
  ]);
  expect(results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
  await Promise.all([exporters.logs.shutdown(), exporters.traces.shutdown(), pushed(exporters).shutdown()]);
}

function target(signal: string, overrides: Partial<OtlpTarget> = {}): OtlpTarget {
  return { url: `${receiver.url}/v1/${signal}`, protocol: 'http/protobuf', headers: {}, compression: 'none', timeoutMs: 5000, tls: {}, ...overrides };
}

describe('createExporters', () => {
  it.each(['http/protobuf', 'http/json'] as const)(
    'sends each signal over %s where its configuration says, with its headers and compression',
    async (protocol) => {
      const tag = `exp-${protocol.replace('/', '-')}`;
      const otlp: OtlpExportConfig = {
        logs: target('logs', { protocol, headers: { 'x-api-key': 'k-logs' }, compression: 'gzip' }),
        metrics: { ...target('metrics', { protocol, headers: { 'x-api-key': 'k-metrics' } }), temporality: 'cumulative' },
        traces: target('traces', { protocol, headers: { 'x-api-key': 'k-traces' }, compression: 'gzip' }),
      };
      const exporters = createExporters(otlp);
      expect(exporters.protocols).toEqual({ logs: protocol, metrics: protocol, traces: protocol });
      const before = receiver.requests.length;
      await exportAll(exporters, tag);

      expect(receiver.logs.filter((l) => l.body === tag)).toHaveLength(1);
      expect(receiver.spans.filter((s) => s.name === tag)).toHaveLength(1);
      expect(receiver.points.filter((p) => p.name === tag.replace(/-/g, '_')).map((p) => p.value)).toEqual([3]);
      const requests = receiver.requests.slice(before);
      const type = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
      for (const signal of ['logs', 'metrics', 'traces'] as const) {
        const r = requests.find((q) => q.signal === signal)!;
        expect(r.headers['x-api-key'], signal).toBe(`k-${signal}`);
        expect(r.contentType.startsWith(type), signal).toBe(true);
        expect(r.contentEncoding, signal).toBe(signal === 'metrics' ? undefined : 'gzip');
      }
    },
  );

  it('reads nothing from the environment', async () => {
    const tag = 'exp-env-ignored';
    const saved = { ...process.env };
    // Everything the SDK would take from here points elsewhere; the configuration must win.
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:9/v1/logs',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TIMEOUT: '1',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
    });
    let exporters: Exporters;
    try {
      exporters = createExporters({ logs: target('logs'), metrics: { ...target('metrics'), temporality: 'cumulative' }, traces: target('traces') });
    } finally {
      process.env = saved;
    }
    expect(exporters.protocols.logs).toBe('http/protobuf');
    expect(metricTemporality(exporters)(InstrumentType.COUNTER)).toBe(AggregationTemporality.CUMULATIVE);
    const before = receiver.requests.length;
    await exportAll(exporters, tag);
    expect(receiver.logs.filter((l) => l.body === tag)).toHaveLength(1);
    expect(receiver.spans.filter((s) => s.name === tag)).toHaveLength(1);
    expect(receiver.requests.slice(before).every((r) => r.contentType.startsWith('application/x-protobuf') && r.contentEncoding === undefined)).toBe(true);
  });

  it('asks the metric exporter for the configured temporality', () => {
    const exporters = createExporters({ logs: target('logs'), metrics: { ...target('metrics'), temporality: 'delta' }, traces: target('traces') });
    expect(metricTemporality(exporters)(InstrumentType.COUNTER)).toBe(AggregationTemporality.DELTA);
    expect(metricTemporality(exporters)(InstrumentType.UP_DOWN_COUNTER)).toBe(AggregationTemporality.CUMULATIVE);
  });

  const otlpConfig = (temporality: 'cumulative' | 'delta' = 'cumulative'): OtlpExportConfig => ({
    logs: target('logs'),
    metrics: { ...target('metrics'), temporality },
    traces: target('traces'),
  });

  it('writes to stdout with the SDK console exporters when a signal says console', () => {
    const exporters = createExporters(otlpConfig(), exportersSection.parse({ logs: 'console', metrics: 'console', traces: 'console' }));
    expect(exporters.logs).toBeInstanceOf(ConsoleLogRecordExporter);
    expect(exporters.metrics).toBeInstanceOf(ConsoleMetricExporter);
    expect(exporters.traces).toBeInstanceOf(ConsoleSpanExporter);
    expect(exporters.selection).toEqual({ logs: 'console', metrics: 'console', traces: 'console' });
  });

  it('sends nothing for a signal that says none, and answers every export as done', async () => {
    const exporters = createExporters(otlpConfig(), exportersSection.parse({ logs: 'none', metrics: 'none', traces: 'none' }));
    const before = receiver.requests.length;
    await exportAll(exporters, 'exp-none');
    expect(receiver.requests.length).toBe(before);
  });

  it('pushes no metrics with prometheus: it says where they are served, always cumulative', () => {
    const exporters = createExporters(
      otlpConfig('delta'),
      exportersSection.parse({ metrics: 'prometheus', prometheusHost: '127.0.0.1', prometheusPort: 9999 }),
    );
    expect(exporters.metrics).toEqual({ kind: 'prometheus', host: '127.0.0.1', port: 9999 });
    // Prometheus takes only cumulative counts, whatever the OTLP temporality preference says.
    expect(metricTemporality(exporters)(InstrumentType.COUNTER)).toBe(AggregationTemporality.CUMULATIVE);
    expect(exporters.logs).not.toBeInstanceOf(ConsoleLogRecordExporter);
  });
});
