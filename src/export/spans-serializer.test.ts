import { type Attributes, context, createTraceState, type Link, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type ReadableSpan, type SpanLimits, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createSpansSerializer } from './spans-serializer.js';

type Tracer = ReturnType<TracerProvider['getTracer']>;

/** Real SDK spans, as the bridge's span processor receives them when they end. */
function spans(resourceAttributes: Attributes, schemaUrl: string | undefined, spanLimits: SpanLimits, make: (tracers: Tracer[]) => void): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resourceAttributes, schemaUrl ? { schemaUrl } : undefined),
    spanLimits,
    spanProcessors: [
      {
        onStart: () => {},
        onEnd: (span: ReadableSpan) => void out.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  make([
    provider.getTracer('mist-otel-bridge', '1.2.3'),
    provider.getTracer('other-scope'),
    provider.getTracer('schema-scope', '0.1', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
  ]);
  return out;
}

/** Strings the writer must encode exactly as the SDK: empty, around its short-string limit
 * (24) and one-byte length (127 bytes), non-ASCII, surrogate pairs, lone surrogates. */
function text(i: number): string {
  switch (i % 6) {
    case 0:
      return '';
    case 1:
      return 'x'.repeat(i % 140);
    case 2:
      return '東'.repeat(i % 50);
    case 3:
      return `Zürich — 東京 🚀 ${i}`;
    case 4:
      return `\ud800${'é'.repeat(i % 30)}\udfff${i}\udc00\ud83d`;
    default:
      return `session ${i} ✓`;
  }
}

function attributes(i: number): Attributes {
  return {
    'client.mac': `ac3eb1${String(i).padStart(6, '0')}`,
    'mist.rssi': -40 - (i % 50),
    'mist.x': 12.5 + i,
    'mist.count': 2 ** 40 + i,
    'mist.negative_big': -(2 ** 50) - i,
    'mist.random_mac': i % 2 === 0,
    'mist.text': text(i),
    'mist.ssids': ['Corp', '', 'Gäste 🚀'],
    'mist.vlans': [10, 20.5, -30],
    'mist.flags': [true, false],
    'mist.sparse': ['a', null, undefined, 'b'],
    'clé 東京': i,
    '': 'empty key',
  };
}

function story(tracers: Tracer[], n: number): void {
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=a,other=b'),
  });
  const kinds = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
  for (let i = 0; i < n; i++) {
    const tracer = tracers[i % tracers.length]!;
    const start: [number, number] = [1_763_000_000 + i, (i * 7919) % 1_000_000_000];
    const root = tracer.startSpan(
      `client session ${text(i)}`,
      { kind: kinds[i % kinds.length], startTime: start, attributes: attributes(i) },
      i % 4 === 0 ? remoteParent : undefined,
    );
    const links: Link[] =
      i % 3 === 0
        ? []
        : [
            { context: root.spanContext() },
            {
              context: {
                traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                spanId: '00f067aa0ba902b7',
                traceFlags: TraceFlags.NONE,
                isRemote: i % 2 === 0,
                traceState: createTraceState('k=v'),
              },
              attributes: { 'link.reason': text(i + 3), 'link.n': i },
            },
          ];
    const child = tracer.startSpan(text(i + 1), { links, startTime: [start[0], start[1] + 1] }, trace.setSpan(context.active(), root));
    for (let e = 0; e < i % 6; e++)
      child.addEvent(`roam ${text(i + e)}`, e % 2 ? { 'mist.ap': `5c5b35${e}`, 'mist.rssi': -60 - e, note: text(e) } : undefined, [start[0] + e, 999_999_999]);
    if (i % 5 === 1) child.setStatus({ code: SpanStatusCode.ERROR, message: text(i + 2) });
    if (i % 5 === 2) child.setStatus({ code: SpanStatusCode.ERROR });
    if (i % 5 === 3) child.setStatus({ code: SpanStatusCode.OK });
    if (i === 7) child.setAttribute('mist.huge', `${'Zürich 東京 🚀 \ud800'.repeat(5_000)}`); // > 64 KiB of non-ASCII
    child.end([start[0] + 10, start[1]]);
    if (i % 7 !== 0) root.end([start[0] + 60, 0]); // some roots never end, so children outnumber roots
  }
}

function expectSameBytes(batch: ReadableSpan[], serializer = createSpansSerializer()): void {
  const ours = Buffer.from(serializer.serializeRequest(batch)!);
  const sdk = Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!);
  expect(ours.length).toBe(sdk.length);
  expect(ours.equals(sdk)).toBe(true);
}

describe('createSpansSerializer', () => {
  it('writes exactly the bytes of the SDK serializer for spans of several resources and scopes, with events, links, statuses and every kind of attribute', () => {
    const batch = [
      ...spans({ 'service.name': 'mist-ai', source: 'juniper-mist', 'host.ids': ['a', 'b'] }, undefined, {}, (t) => story(t, 120)),
      ...spans({ 'service.name': 'mist-ai', 'site.name': 'Zürich 東京' }, 'https://opentelemetry.io/schemas/1.29.0', {}, (t) => story(t, 40)),
      // Limits low enough that attributes, events and links are dropped (and counted).
      ...spans(
        { 'service.name': 'limited' },
        undefined,
        { attributeCountLimit: 4, eventCountLimit: 2, linkCountLimit: 1, attributeValueLengthLimit: 10 },
        (t) => story(t, 30),
      ),
    ];
    for (const dropped of ['droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount'] as const) {
      expect(batch.some((s) => s[dropped] > 0)).toBe(true);
    }
    const serializer = createSpansSerializer();
    // Several requests: each after the first is sized from the one before.
    for (const part of [batch, batch.slice(0, 25), batch.slice(100), []]) expectSameBytes(part, serializer);
  });

  it('grows its buffer when a request is far larger per span than the one before', () => {
    const serializer = createSpansSerializer();
    const small = spans({ 'service.name': 'x' }, undefined, {}, ([t]) => {
      for (let i = 0; i < 50; i++) t!.startSpan('s').end();
    });
    const large = spans({ 'service.name': 'x' }, undefined, {}, ([t]) => {
      for (let i = 0; i < 50; i++) t!.startSpan('y'.repeat(40_000), { attributes: { pad: 'z'.repeat(20_000) } }).end();
    });
    expectSameBytes(small, serializer);
    expectSameBytes(large, serializer);
  });
});
