import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Attributes, ROOT_CONTEXT, SeverityNumber, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import * as sdkLogs from '@opentelemetry/sdk-logs';
import * as tracing from '@opentelemetry/sdk-trace';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_ACK } from '../acks/ack.js';
import { loadMappings } from '../mapping/loader.js';
import { nsToHrTime } from '../mapping/time.js';
import type { LogOutput } from '../mapping/types.js';
import { LogEmitter, SpanEmitter, type SpanOutput } from './emit.js';

type ReadableLogRecord = sdkLogs.ReadableLogRecord;

const resource = resourceFromAttributes({ 'service.name': 'emit-test' });
const LIMIT = 1024;
const target = { resource, scope: { name: 'mist-otel-bridge', version: '1.0.0' }, attributeCountLimit: LIMIT };

/** What the SDK's own Logger hands its processors for the same mapped logs. */
function throughSdk(outputs: LogOutput[]): ReadableLogRecord[] {
  const records: ReadableLogRecord[] = [];
  const provider = new sdkLogs.LoggerProvider({
    resource,
    logRecordLimits: { attributeCountLimit: LIMIT },
    processors: [{ onEmit: (r) => void records.push(r), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const logger = provider.getLogger('mist-otel-bridge', '1.0.0');
  for (const out of outputs) {
    logger.emit({
      eventName: out.eventName,
      timestamp: nsToHrTime(out.timeNs),
      observedTimestamp: nsToHrTime(out.observedNs),
      severityNumber: out.severityNumber,
      severityText: out.severityText,
      body: out.body,
      attributes: out.attributes,
    });
  }
  return records;
}

function throughEmitter(outputs: LogOutput[]): ReadableLogRecord[] {
  const records: ReadableLogRecord[] = [];
  const emitter = new LogEmitter(target, (r) => records.push(r));
  for (const out of outputs) emitter.emit(out, NO_ACK);
  return records;
}

function otlpBytes(records: ReadableLogRecord[]): Buffer {
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!);
}

const { engine } = loadMappings();
const testdata = fileURLToPath(new URL('../mapping/testdata/', import.meta.url));

function mappedLogs(topic: string, events: unknown[], receivedNs: bigint): LogOutput[] {
  return events.flatMap((e) => engine.map('webhook', topic, e, receivedNs).logs);
}

describe('LogEmitter', () => {
  const fixtures = readdirSync(testdata).filter((f) => f.endsWith('.input.json'));

  it.each(fixtures)('exports the same OTLP bytes as the SDK Logger for %s', (name) => {
    const fixture = JSON.parse(readFileSync(join(testdata, name), 'utf8')) as { topic: string; receivedNs: string; events: unknown[] };
    const outputs = mappedLogs(fixture.topic, fixture.events, BigInt(fixture.receivedNs));
    expect(otlpBytes(throughEmitter(outputs))).toEqual(otlpBytes(throughSdk(outputs)));
  });

  const corpus = fileURLToPath(new URL('../../../shared/mist-corpus/', import.meta.url));
  let bodies: string[] = [];
  try {
    bodies = readdirSync(corpus, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  } catch {
    console.log(`emit.test: ${corpus} is absent; the corpus comparison is skipped`);
  }
  it.skipIf(bodies.length === 0)('exports the same OTLP bytes as the SDK Logger for every corpus body', () => {
    let compared = 0;
    for (const file of bodies) {
      let body: { topic?: unknown; events?: unknown };
      try {
        body = JSON.parse(readFileSync(join(corpus, file), 'utf8')) as typeof body;
      } catch {
        continue;
      }
      if (typeof body.topic !== 'string' || !Array.isArray(body.events)) continue;
      const outputs = mappedLogs(body.topic, body.events, 1_700_000_000_000_000_000n);
      expect(otlpBytes(throughEmitter(outputs)), file).toEqual(otlpBytes(throughSdk(outputs)));
      compared += outputs.length;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('keeps the first attributes up to the limit and counts the rest as dropped, as the SDK does', () => {
    const attributes = Object.create(null) as Record<string, string>;
    for (let i = 0; i < LIMIT + 7; i++) attributes[`mist.f${i}`] = `v${i}`;
    const out: LogOutput = {
      eventName: 'mist.test',
      timeNs: 1_700_000_000_123_456_789n,
      observedNs: 1_700_000_001_000_000_000n,
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'wide',
      attributes,
    };
    const [mine] = throughEmitter([out]);
    expect(mine!.droppedAttributesCount).toBe(7);
    expect(Object.keys(mine!.attributes)).toHaveLength(LIMIT);
    expect(otlpBytes([mine!])).toEqual(otlpBytes(throughSdk([out])));
  });
});

describe('LogEmitter attribute rules', () => {
  it('exports the same OTLP bytes as the SDK Logger for any top-level attributes (undefined, null, empty keys)', () => {
    fc.assert(
      fc.property(attributes, (attrs) => {
        const out: LogOutput = {
          eventName: 'mist.test',
          timeNs: 1_700_000_000_000_000_000n,
          observedNs: 1_700_000_000_000_000_001n,
          severityNumber: SeverityNumber.INFO,
          severityText: 'INFO',
          body: 'b',
          attributes: attrs,
        };
        expect(otlpBytes(throughEmitter([out]))).toEqual(otlpBytes(throughSdk([out])));
      }),
      { numRuns: 300 },
    );
  });
});

/** What the SDK's Tracer makes of the same span, started and ended as the session tracker used to. */
function spansThroughSdk(outputs: SpanOutput[]): tracing.ReadableSpan[] {
  const spans: tracing.ReadableSpan[] = [];
  let next: { traceId: string; spanId: string } | undefined;
  const provider = new tracing.TracerProvider({
    resource,
    spanLimits: { attributeCountLimit: LIMIT },
    idGenerator: { generateTraceId: () => next!.traceId, generateSpanId: () => next!.spanId },
    spanProcessors: [{ onStart() {}, onEnd: (s) => void spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const tracer = provider.getTracer('mist-otel-bridge', '1.0.0');
  for (const p of outputs) {
    const parent =
      p.parentSpanId === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, { traceId: p.traceId, spanId: p.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    next = { traceId: p.traceId, spanId: p.spanId };
    const span = tracer.startSpan(p.name, { kind: SpanKind.INTERNAL, startTime: nsToHrTime(p.startNs), attributes: p.attributes }, parent);
    for (const e of p.events) span.addEvent(e.name, e.attributes, nsToHrTime(e.timeNs));
    span.setStatus(p.status);
    span.end(nsToHrTime(p.endNs));
  }
  return spans;
}

function spansThroughEmitter(outputs: SpanOutput[]): tracing.ReadableSpan[] {
  const spans: tracing.ReadableSpan[] = [];
  const emitter = new SpanEmitter(target, (s) => spans.push(s));
  for (const out of outputs) emitter.emit(out, []);
  return spans;
}

const spanBytes = (spans: tracing.ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);

const hex = (bytes: number) =>
  fc
    .uint8Array({ minLength: bytes, maxLength: bytes })
    .map((b) => Buffer.from(b).toString('hex'))
    .filter((h) => !/^0+$/.test(h));
const value = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.constant(undefined),
  fc.constant(null),
);
// Not "__proto__": the SDK copies event attributes into a plain object, where that key sets the
// prototype and vanishes. Session span attributes are names declared in mappings/*.yaml.
const key = fc.string({ maxLength: 12 }).filter((k) => k !== '__proto__');
const attributes = fc.dictionary(key, value, { maxKeys: 8 }) as fc.Arbitrary<Attributes>;
const ns = fc.bigInt({ min: 1_500_000_000_000_000_000n, max: 1_900_000_000_000_000_000n });
const span: fc.Arbitrary<SpanOutput> = fc.record(
  {
    name: fc.constantFrom('client-session', 'connected', 'nac-auth', 'dhcp'),
    traceId: hex(16),
    spanId: hex(8),
    parentSpanId: hex(8),
    startNs: ns,
    endNs: ns,
    attributes,
    status: fc.oneof(
      fc.constant({ code: SpanStatusCode.UNSET }),
      fc.record({ code: fc.constantFrom(SpanStatusCode.OK, SpanStatusCode.ERROR), message: fc.string() }),
    ),
    events: fc.array(fc.record({ name: fc.string(), timeNs: ns, attributes }), { maxLength: 4 }),
  },
  { requiredKeys: ['name', 'traceId', 'spanId', 'startNs', 'endNs', 'attributes', 'status', 'events'] },
);

describe('SpanEmitter', () => {
  it('exports the same OTLP bytes as the SDK Tracer for any span (root or child, any status, events, end before start)', () => {
    fc.assert(
      fc.property(fc.array(span, { minLength: 1, maxLength: 5 }), (outputs) => {
        expect(spanBytes(spansThroughEmitter(outputs))).toEqual(spanBytes(spansThroughSdk(outputs)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the SDK limits: the last 128 events, 128 attributes per event, 1024 per span', () => {
    const wide: Attributes = {};
    for (let i = 0; i < LIMIT + 3; i++) wide[`mist.f${i}`] = i;
    const out: SpanOutput = {
      name: 'nac-auth',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      startNs: 1_763_700_000_000_000_000n,
      endNs: 1_763_700_001_000_000_000n,
      attributes: wide,
      status: { code: SpanStatusCode.ERROR, message: 'denied' },
      events: Array.from({ length: 140 }, (_, i) => ({
        name: `check-${i}`,
        timeNs: 1_763_700_000_000_000_000n + BigInt(i),
        attributes: Object.fromEntries(Array.from({ length: 130 }, (_, k) => [`k${k}`, k])),
      })),
    };
    const [mine] = spansThroughEmitter([out]);
    expect(mine!.droppedAttributesCount).toBe(3);
    expect(mine!.droppedEventsCount).toBe(12);
    expect(mine!.events[0]!.name).toBe('check-12');
    expect(mine!.events[0]!.droppedAttributesCount).toBe(2);
    expect(spanBytes([mine!])).toEqual(spanBytes(spansThroughSdk([out])));
  });
});
