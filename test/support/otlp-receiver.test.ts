/**
 * Proves the test receiver decodes exactly what the real OTLP/HTTP exporters
 * (JSON and protobuf, plain and gzip) send, and that its failure switches
 * (failWith, stop/restart) behave like a real backend outage.
 */
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SeverityNumber, SpanKind, SpanStatusCode, TraceFlags, trace, ValueType } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OtlpReceiver } from './otlp-receiver.js';
import { startOtlpReceiver } from './otlp-receiver.js';

type Protocol = 'json' | 'protobuf';
interface Variant {
  protocol: Protocol;
  gzip: boolean;
}
const VARIANTS: Variant[] = [
  { protocol: 'json', gzip: false },
  { protocol: 'json', gzip: true },
  { protocol: 'protobuf', gzip: false },
  { protocol: 'protobuf', gzip: true },
];
const label = (v: Variant) => `${v.protocol}${v.gzip ? '+gzip' : ''}`;
const CONTENT_TYPE: Record<Protocol, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

const RESOURCE = { 'service.name': 'otlp-receiver-test', 'service.instance.id': 'i-1' };
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

function config(r: OtlpReceiver, path: string, v: Variant, timeoutMillis = 2_000) {
  return {
    url: `${r.url}${path}`,
    compression: v.gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    timeoutMillis,
  };
}

function logExporter(r: OtlpReceiver, v: Variant, timeoutMillis?: number) {
  const cfg = config(r, '/v1/logs', v, timeoutMillis);
  return v.protocol === 'json' ? new OTLPLogExporterJson(cfg) : new OTLPLogExporterProto(cfg);
}

function exportOnce<T>(exporter: { export(items: T, cb: (r: ExportResult) => void): void }, items: T) {
  return new Promise<ExportResult>((resolve) => exporter.export(items, resolve));
}

/** Real SDK log records, captured in memory so tests can hand them to an OTLP exporter directly. */
function makeLogRecords(n: number): ReadableLogRecord[] {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(RESOURCE),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger('direct');
  for (let i = 0; i < n; i++) logger.emit({ body: `record ${i}`, severityNumber: SeverityNumber.INFO });
  return memory.getFinishedLogRecords();
}

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

describe('startOtlpReceiver', () => {
  it('listens on 127.0.0.1 with a random port', () => {
    expect(receiver.port).toBeGreaterThan(0);
    expect(receiver.url).toBe(`http://127.0.0.1:${receiver.port}`);
  });
});

/** A log record's body and attributes of every kind OTLP's AnyValue carries: what is sent must come back. */
const LOG_BODY = {
  message: 'AP went offline',
  details: { reason: 'power', retries: [1, 2.5, 'three', false], deep: { deeper: { ok: true } } },
};
const LOG_ATTRIBUTES = {
  'mist.site.id': '978c48e6-6ef6-11e6-8bbf-02e208b2d34f',
  'mist.count': 3,
  'mist.ratio': 0.25,
  'mist.ok': true,
  'mist.zero': 0,
  'mist.false': false,
  'mist.empty': '',
  'mist.negative': -42,
  'mist.tags': ['a', 'b'],
  'mist.map': { ap: { mac: '5c5b35000001', port: 1 } },
};

describe.each(VARIANTS)('logs via $protocol (gzip: $gzip)', (v) => {
  it(`round-trips a log record exactly (${label(v)})`, async () => {
    const exporter = logExporter(receiver, v);
    const provider = new LoggerProvider({
      resource: resourceFromAttributes(RESOURCE),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('mist-otel-bridge/test', '1.2.3');
    const spanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED };
    logger.emit({
      // microsecond precision, beyond what a double of epoch nanoseconds can hold
      timestamp: [1_700_000_000, 123_456_000],
      observedTimestamp: [1_700_000_001, 987_654_321],
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      eventName: 'mist.alarm',
      body: LOG_BODY,
      attributes: LOG_ATTRIBUTES,
      context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
    });
    // SimpleLogRecordProcessor.forceFlush() does not wait for the HTTP export it started
    // (unlike SimpleSpanProcessor), so wait for the receiver instead.
    await receiver.waitFor(() => receiver.logs.length > 0, 2_000);

    expect(receiver.logs).toHaveLength(1);
    expect(receiver.logs[0]).toStrictEqual({
      resource: RESOURCE,
      scope: { name: 'mist-otel-bridge/test', version: '1.2.3' },
      timeUnixNano: 1_700_000_000_123_456_000n,
      observedTimeUnixNano: 1_700_000_001_987_654_321n,
      severityNumber: 13,
      severityText: 'WARN',
      eventName: 'mist.alarm',
      body: LOG_BODY,
      attributes: LOG_ATTRIBUTES,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
    });

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0];
    expect(req).toMatchObject({ signal: 'logs', contentType: CONTENT_TYPE[v.protocol], status: 200 });
    expect(req?.contentEncoding).toBe(v.gzip ? 'gzip' : undefined);
    expect(req?.headers['user-agent']).toMatch(/OTel-OTLP-Exporter-JavaScript/);
    expect(req?.bytes).toBeGreaterThan(0);
    await provider.shutdown();
  });
});

describe.each(VARIANTS)('metrics via $protocol (gzip: $gzip)', (v) => {
  it(`round-trips a counter, a gauge and a histogram (${label(v)})`, async () => {
    const cfg = config(receiver, '/v1/metrics', v);
    const exporter = v.protocol === 'json' ? new OTLPMetricExporterJson(cfg) : new OTLPMetricExporterProto(cfg);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes(RESOURCE),
      readers: [reader],
      views: [{ instrumentName: 'mist.client.rssi', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('mist-otel-bridge/metrics', '0.1.0');

    const counter = meter.createCounter('mist.webhook.events', { unit: '{event}', description: 'Webhook events' });
    counter.add(5, { 'mist.topic': 'alarms' });
    counter.add(2, { 'mist.topic': 'alarms' });
    const gauge = meter.createGauge('mist.ap.temperature', { unit: 'Cel' });
    gauge.record(41.5, { 'mist.ap.mac': '5c5b35000001' });
    const histogram = meter.createHistogram('mist.delay', { unit: 'ms', advice: { explicitBucketBoundaries: [10, 100] } });
    histogram.record(5);
    histogram.record(50);
    histogram.record(500);
    const upDown = meter.createUpDownCounter('mist.clients', { valueType: ValueType.INT });
    upDown.add(3);
    upDown.add(-5); // a negative sfixed64 asInt on the wire
    const expHistogram = meter.createHistogram('mist.client.rssi', { unit: 'dBm' });
    for (const value of [2, 4, 8]) expHistogram.record(value);

    await reader.forceFlush();

    const counterPoint = receiver.points.find((p) => p.name === 'mist.webhook.events');
    expect(counterPoint).toMatchObject({
      scope: { name: 'mist-otel-bridge/metrics', version: '0.1.0' },
      resource: expect.objectContaining(RESOURCE),
      description: 'Webhook events',
      unit: '{event}',
      kind: 'sum',
      monotonic: true,
      temporality: 'cumulative',
      attributes: { 'mist.topic': 'alarms' },
      value: 7,
    });
    expect(counterPoint?.timeUnixNano).toBeGreaterThanOrEqual(counterPoint?.startTimeUnixNano ?? 0n);
    expect(counterPoint?.timeUnixNano).toBeGreaterThan(1_600_000_000_000_000_000n);

    const gaugePoint = receiver.points.find((p) => p.name === 'mist.ap.temperature');
    expect(gaugePoint).toMatchObject({
      kind: 'gauge',
      unit: 'Cel',
      description: '',
      attributes: { 'mist.ap.mac': '5c5b35000001' },
      value: 41.5,
    });
    expect(gaugePoint?.monotonic).toBeUndefined();
    expect(gaugePoint?.temporality).toBeUndefined();

    const histogramPoint = receiver.points.find((p) => p.name === 'mist.delay');
    expect(histogramPoint).toMatchObject({
      kind: 'histogram',
      temporality: 'cumulative',
      unit: 'ms',
      attributes: {},
      count: 3,
      sum: 555,
      min: 5,
      max: 500,
      explicitBounds: [10, 100],
      bucketCounts: [1, 1, 1],
    });
    const upDownPoint = receiver.points.find((p) => p.name === 'mist.clients');
    expect(upDownPoint).toMatchObject({ kind: 'sum', monotonic: false, temporality: 'cumulative', value: -2 });

    const expPoint = receiver.points.find((p) => p.name === 'mist.client.rssi');
    expect(expPoint).toMatchObject({
      kind: 'exponentialHistogram',
      temporality: 'cumulative',
      unit: 'dBm',
      count: 3,
      sum: 14,
      min: 2,
      max: 8,
      zeroCount: 0,
    });
    expect(expPoint?.scale).toEqual(expect.any(Number));
    expect(expPoint?.positive?.bucketCounts.reduce((a, b) => a + b, 0)).toBe(3);

    expect(receiver.points).toHaveLength(5);
    expect(receiver.requests.map((r) => [r.signal, r.status])).toEqual([['metrics', 200]]);
    await provider.shutdown();
  });
});

describe.each(VARIANTS)('traces via $protocol (gzip: $gzip)', (v) => {
  it(`round-trips a parent and a child span (${label(v)})`, async () => {
    const cfg = config(receiver, '/v1/traces', v);
    const exporter = v.protocol === 'json' ? new OTLPTraceExporterJson(cfg) : new OTLPTraceExporterProto(cfg);
    const provider = new TracerProvider({
      resource: resourceFromAttributes(RESOURCE),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const tracer = provider.getTracer('mist-otel-bridge/traces', '9.9.9');

    const parent = tracer.startSpan('webhook.receive', { kind: SpanKind.SERVER, startTime: [1_700_000_000, 1] });
    const child = tracer.startSpan(
      'mapping.apply',
      {
        startTime: [1_700_000_000, 500_000_001],
        attributes: { 'mist.topic': 'device-events', 'mist.events': 2 },
        links: [{ context: { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 }, attributes: { why: 'batch' } }],
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    child.addEvent('mapped', { 'mist.mapping': 'ap-offline' }, [1_700_000_000, 750_000_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    child.end([1_700_000_000, 999_999_999]);
    parent.setStatus({ code: SpanStatusCode.OK });
    parent.end([1_700_000_001, 0]);
    await provider.forceFlush();

    expect(receiver.spans).toHaveLength(2);
    const p = receiver.spans.find((s) => s.name === 'webhook.receive');
    const c = receiver.spans.find((s) => s.name === 'mapping.apply');
    expect(p).toMatchObject({
      traceId: parent.spanContext().traceId,
      spanId: parent.spanContext().spanId,
      kind: 2, // SERVER (OTLP enum = API kind + 1)
      startTimeUnixNano: 1_700_000_000_000_000_001n,
      endTimeUnixNano: 1_700_000_001_000_000_000n,
      status: { code: 1 },
      scope: { name: 'mist-otel-bridge/traces', version: '9.9.9' },
      flags: 0x101, // sampled + "parent is not remote" known
    });
    expect(p?.parentSpanId).toBeUndefined();
    expect(p?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(c).toStrictEqual({
      resource: expect.objectContaining(RESOURCE),
      scope: { name: 'mist-otel-bridge/traces', version: '9.9.9' },
      traceId: parent.spanContext().traceId,
      spanId: child.spanContext().spanId,
      parentSpanId: parent.spanContext().spanId,
      flags: 0x101,
      name: 'mapping.apply',
      kind: 1, // INTERNAL
      startTimeUnixNano: 1_700_000_000_500_000_001n,
      endTimeUnixNano: 1_700_000_000_999_999_999n,
      attributes: { 'mist.topic': 'device-events', 'mist.events': 2 },
      status: { code: 2, message: 'boom' },
      events: [{ name: 'mapped', timeUnixNano: 1_700_000_000_750_000_000n, attributes: { 'mist.mapping': 'ap-offline' } }],
      links: [{ traceId: TRACE_ID, spanId: SPAN_ID, attributes: { why: 'batch' } }],
    });
    expect(receiver.requests.every((r) => r.signal === 'traces' && r.status === 200)).toBe(true);
    await provider.shutdown();
  });
});

describe('what the exporters do to values (so tests expect the right thing)', () => {
  it('JSON turns NaN/Infinity into null, protobuf keeps them; 3.0 arrives as an int; undefined map values as null', async () => {
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    provider.getLogger('quirks').emit({
      body: { nan: NaN, inf: -Infinity, three: 3.0, big: 2 ** 60, missing: undefined, bytes: new Uint8Array([1, 2]) },
    });
    const records = memory.getFinishedLogRecords();
    for (const protocol of ['json', 'protobuf'] as const) {
      const exporter = logExporter(receiver, { protocol, gzip: false });
      expect((await exportOnce(exporter, records)).code).toBe(ExportResultCode.SUCCESS);
      await exporter.shutdown();
    }
    const common = { three: 3, big: 2 ** 60, missing: null, bytes: Buffer.from([1, 2]) };
    expect(receiver.logs.map((l) => l.body)).toStrictEqual([
      { nan: null, inf: null, ...common },
      { nan: NaN, inf: -Infinity, ...common },
    ]);
  });
});

describe('failure simulation', () => {
  it('failWith(503) makes the exporter report failure, and nothing is stored', async () => {
    const exporter = logExporter(receiver, { protocol: 'protobuf', gzip: false });
    // Retry-After: 0 makes the exporter retry at once, so its 5 retries take milliseconds.
    receiver.failWith(503, { 'Retry-After': '0' });
    const failed = await exportOnce(exporter, makeLogRecords(1));
    expect(failed.code).toBe(ExportResultCode.FAILED);
    expect(receiver.logs).toHaveLength(0);
    expect(receiver.requests.length).toBe(6); // first attempt + 5 retries
    expect(receiver.requests.every((r) => r.status === 503)).toBe(true);

    receiver.failWith(null);
    const ok = await exportOnce(exporter, makeLogRecords(1));
    expect(ok.code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.logs.map((l) => l.body)).toEqual(['record 0']);
    await exporter.shutdown();
  });

  it('failWith(429) with Retry-After is retried until the backend recovers', async () => {
    const exporter = logExporter(receiver, { protocol: 'json', gzip: false });
    // The exporter honours Retry-After (whole seconds): the backend recovers during that second.
    receiver.failWith(429, { 'Retry-After': '1' });
    const pending = exportOnce(exporter, makeLogRecords(2));
    await receiver.waitFor(() => receiver.requests.length >= 1, 2_000);
    receiver.failWith(null);
    const result = await pending;
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.logs).toHaveLength(2); // stored once, from the attempt that was accepted
    expect(receiver.requests.at(-1)?.status).toBe(200);
    expect(receiver.requests.map((r) => r.status)).toEqual([429, 200]);
    await exporter.shutdown();
  });

  it('failWith(400) is a non-retryable failure carrying the status code', async () => {
    const exporter = logExporter(receiver, { protocol: 'json', gzip: false });
    receiver.failWith(400);
    const result = await exportOnce(exporter, makeLogRecords(1));
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect((result.error as { code?: number } | undefined)?.code).toBe(400);
    expect(receiver.requests.map((r) => r.status)).toEqual([400]);
    await exporter.shutdown();
  });

  it('stop() refuses connections, keeps data, and restart() serves the same port again', async () => {
    // Short timeout: the exporter's first retry (~1 s backoff) falls past the deadline, so the export fails fast.
    const exporter = logExporter(receiver, { protocol: 'protobuf', gzip: true }, 300);
    expect((await exportOnce(exporter, makeLogRecords(1))).code).toBe(ExportResultCode.SUCCESS);
    const port = receiver.port;

    await receiver.stop(); // also drops the exporter's idle keep-alive connection
    const refused = await new Promise<string | undefined>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    });
    expect(refused).toBe('ECONNREFUSED');
    const down = await exportOnce(exporter, makeLogRecords(1));
    expect(down.code).toBe(ExportResultCode.FAILED);
    expect((down.error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
    expect(receiver.logs).toHaveLength(1); // collected data survives stop()

    await receiver.restart();
    expect(receiver.port).toBe(port);
    expect((await exportOnce(exporter, makeLogRecords(1))).code).toBe(ExportResultCode.SUCCESS);
    expect(receiver.logs).toHaveLength(2);
    await exporter.shutdown();
  });
});

describe('strict decoding', () => {
  async function post(path: string, body: Uint8Array | string, headers: Record<string, string>) {
    const res = await fetch(`${receiver.url}${path}`, { method: 'POST', body, headers });
    return { status: res.status, text: await res.text() };
  }

  it('answers 400 to bodies it cannot decode and records them', async () => {
    const cases: [Uint8Array | string, Record<string, string>, RegExp][] = [
      ['{"resourceLogs": [', { 'content-type': 'application/json' }, /json/],
      ['{"resourceLogs": {}}', { 'content-type': 'application/json' }, /expected array/],
      [
        JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 'soon' }] }] }] }),
        { 'content-type': 'application/json' },
        /timeUnixNano.*not an integer/,
      ],
      [
        // biome-ignore lint/correctness/noPrecisionLoss: the point: a JSON number past 2^53, as a careless sender writes one
        JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: 1700000000123456789 }] }] }] }),
        { 'content-type': 'application/json' },
        /beyond 2\^53/,
      ],
      [
        JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'Cvdlp...base64==' }] }] }] }),
        { 'content-type': 'application/json' },
        /not hex/,
      ],
      // JSON sent with the protobuf content type must not decode as an "empty" request
      ['{"resourceLogs":[]}', { 'content-type': 'application/x-protobuf' }, /protobuf/],
      [Buffer.from([0x0a, 0x05, 0x01]), { 'content-type': 'application/x-protobuf' }, /truncated|protobuf/],
      ['not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, /gzip/],
    ];
    for (const [body, headers] of cases) {
      const res = await post('/v1/logs', body, headers);
      expect(res.status, `${String(body)} → ${res.text}`).toBe(400);
    }
    expect(receiver.requests).toHaveLength(cases.length);
    receiver.requests.forEach((r, i) => {
      expect(r.status).toBe(400);
      expect(r.error).toMatch(cases[i]?.[2] ?? /never/);
    });
    expect(receiver.logs).toHaveLength(0);

    expect((await post('/v1/logs', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/v1/nope', '{}', { 'content-type': 'application/json' })).status).toBe(404);
  });

  it('accepts hand-written OTLP/JSON: snake_case names, int64 as numbers or strings, enum names, upper-case hex ids', async () => {
    const body = {
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'hand' } }] },
          scope_spans: [
            {
              scope: { name: 'manual' },
              spans: [
                {
                  trace_id: TRACE_ID.toUpperCase(),
                  span_id: SPAN_ID.toUpperCase(),
                  name: 'manual',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: 1_000_000_000,
                  end_time_unix_nano: '18446744073709551615',
                  attributes: [
                    { key: 'i', value: { int_value: '-7' } },
                    { key: 'd', value: { double_value: 'Infinity' } },
                    { key: 'b', value: { bytes_value: Buffer.from('hi').toString('base64') } },
                    { key: 'n', value: {} },
                  ],
                  status: { code: 'STATUS_CODE_ERROR' },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post('/v1/traces', gzipSync(JSON.stringify(body)), {
      'content-type': 'application/json; charset=utf-8',
      'content-encoding': 'gzip',
    });
    expect(res).toEqual({ status: 200, text: '{}' });
    expect(receiver.spans).toStrictEqual([
      {
        resource: { 'service.name': 'hand' },
        scope: { name: 'manual' },
        traceId: TRACE_ID,
        spanId: SPAN_ID,
        name: 'manual',
        kind: 3,
        startTimeUnixNano: 1_000_000_000n,
        endTimeUnixNano: 18_446_744_073_709_551_615n,
        attributes: { i: -7, d: Infinity, b: Buffer.from('hi'), n: null },
        status: { code: 2 },
        events: [],
        links: [],
      },
    ]);
  });

  it('decodes summaries, exemplars and negative exponential buckets from OTLP/JSON', async () => {
    const body = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              scope: { name: 'manual', version: '1', attributes: [{ key: 'k', value: { stringValue: 'v' } }] },
              metrics: [
                {
                  name: 'latency',
                  summary: {
                    dataPoints: [
                      {
                        timeUnixNano: '1700000000000000001',
                        count: '4',
                        sum: 10.5,
                        quantileValues: [
                          { quantile: 0.5, value: 2 },
                          { quantile: 1, value: 5 },
                        ],
                      },
                    ],
                  },
                },
                {
                  name: 'delta.sum',
                  sum: {
                    aggregationTemporality: 1,
                    isMonotonic: true,
                    dataPoints: [
                      {
                        asInt: '9007199254740993',
                        exemplars: [{ timeUnixNano: '5', asDouble: 1.5, traceId: TRACE_ID, spanId: SPAN_ID, filteredAttributes: [] }],
                      },
                    ],
                  },
                },
                {
                  name: 'exp',
                  exponentialHistogram: {
                    aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
                    dataPoints: [{ count: 3, scale: -1, zeroCount: 1, negative: { offset: -2, bucketCounts: ['1', 1] } }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    expect((await post('/v1/metrics', JSON.stringify(body), { 'content-type': 'application/json' })).status).toBe(200);
    const [summary, sum, exp] = receiver.points;
    expect(summary).toMatchObject({
      scope: { name: 'manual', version: '1', attributes: { k: 'v' } },
      kind: 'summary',
      timeUnixNano: 1_700_000_000_000_000_001n,
      startTimeUnixNano: 0n,
      count: 4,
      sum: 10.5,
      quantileValues: [
        { quantile: 0.5, value: 2 },
        { quantile: 1, value: 5 },
      ],
    });
    expect(sum).toMatchObject({
      kind: 'sum',
      temporality: 'delta',
      monotonic: true,
      value: 9007199254740992, // intValue/asInt are converted with Number()
      exemplars: [{ timeUnixNano: 5n, value: 1.5, traceId: TRACE_ID, spanId: SPAN_ID, attributes: {} }],
    });
    expect(exp).toMatchObject({
      kind: 'exponentialHistogram',
      temporality: 'delta',
      count: 3,
      scale: -1,
      zeroCount: 1,
      negative: { offset: -2, bucketCounts: [1, 1] },
    });
    expect(exp?.sum).toBeUndefined();
  });

  it('answers 200 with an empty protobuf export response', async () => {
    const res = await fetch(`${receiver.url}/v1/metrics`, {
      method: 'POST',
      body: new Uint8Array(0),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('waitFor and clear', () => {
  it('resolves once the predicate holds and times out with a helpful message', async () => {
    const exporter = logExporter(receiver, { protocol: 'json', gzip: false });
    void exportOnce(exporter, makeLogRecords(3));
    await receiver.waitFor(() => receiver.logs.length === 3, 2_000);

    await expect(receiver.waitFor(() => receiver.spans.length > 0, 50)).rejects.toThrow(
      /timed out after 50 ms[\s\S]*logs=3 points=0 spans=0 requests=1 \(status 200×1\)[\s\S]*receiver\.spans\.length > 0/,
    );

    const logs = receiver.logs;
    receiver.clear();
    expect(logs).toHaveLength(0); // cleared in place: references held by tests stay valid
    expect(receiver.requests).toHaveLength(0);
    await exporter.shutdown();
  });
});
