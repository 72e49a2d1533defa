import { type Attributes, context, SeverityNumber, TraceFlags, trace } from '@opentelemetry/api';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type ReadableLogRecord, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { createLogsSerializer } from './logs-serializer.js';

/** Real SDK log records, as the bridge's processor receives them. */
function records(emit: (logger: ReturnType<LoggerProvider['getLogger']>, other: ReturnType<LoggerProvider['getLogger']>) => void): ReadableLogRecord[] {
  const out: ReadableLogRecord[] = [];
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'mist-ai', source: 'juniper-mist', 'host.ids': ['a', 'b'] }),
    logRecordLimits: { attributeCountLimit: 1024 },
    processors: [
      {
        onEmit: (r: ReadWriteLogRecord) => void out.push(r),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  emit(provider.getLogger('mist-otel-bridge', '1.2.3'), provider.getLogger('other-scope'));
  return out;
}

function attributes(i: number): Attributes {
  const nested = Object.create(null) as Attributes;
  nested['status'] = i % 2 ? 'open' : 'resolved';
  // biome-ignore lint/suspicious/noProto: the point: an attribute named __proto__ is data, serialised like any other
  nested['__proto__'] = 'plain data';
  return {
    'mist.mac': `ac3eb1${String(i).padStart(6, '0')}`,
    'mist.rssi': -40 - (i % 50),
    'mist.x': 12.5 + i,
    'mist.count': 2 ** 40 + i,
    'mist.negative_big': -(2 ** 50) - i,
    'mist.random_mac': i % 2 === 0,
    'mist.site_name': 'Zürich — 東京 🚀',
    'mist.text': 'x'.repeat(i % 300),
    // Every length either side of the writer's short-string loop (24) and of a one-byte length
    // prefix (127 bytes), in two- and three-byte characters, with lone surrogates.
    'mist.text_utf8': i % 2 ? '東'.repeat(i % 60) : 'é'.repeat(i % 90),
    'mist.lone_surrogates': `\ud800${'a'.repeat(i % 30)}\udfff${i}\udc00\ud83d`,
    'clé 東京 🚀': i,
    'mist.tls_states': ['recv TLS 1.3 ClientHello', 'send TLS 1.2 ServerHello', ''],
    'mist.details': nested,
    'mist.bytes': Uint8Array.from([0, 1, 254, 255]),
    'mist.empty': '',
  };
}

describe('createLogsSerializer', () => {
  it('writes exactly the bytes of the SDK serializer, for every kind of value, scope and span context', () => {
    const batch = records((logger, other) => {
      const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
      for (let i = 0; i < 300; i++) {
        const l = i % 7 === 0 ? other : logger;
        l.emit({
          eventName: i % 3 ? `mist.event.${i % 5}` : undefined,
          timestamp: [1_763_000_000 + i, (i * 7919) % 1_000_000_000],
          observedTimestamp: [1_763_000_001 + i, 999_999_999 - i],
          severityNumber: i % 4 ? SeverityNumber.WARN : undefined,
          severityText: i % 4 ? 'WARN' : undefined,
          body:
            i === 42
              ? `${'Zürich 東京 🚀 \ud800'.repeat(5_000)}` // > 64 KiB of non-ASCII
              : i % 5 === 0
                ? { message: `event ${i}`, list: [1, 'two', true], '': '' }
                : i % 5 === 1
                  ? undefined
                  : `body ${i} ✓`,
          attributes: attributes(i),
          ...(i % 11 === 0 ? { context: trace.setSpan(context.active(), span) } : {}),
        });
      }
    });
    const serializer = createLogsSerializer();
    // Twice: the second batch is sized from the first.
    for (const part of [batch, batch.slice(0, 40), []]) {
      const ours = serializer.serializeRequest(part)!;
      const sdk = ProtobufLogsSerializer.serializeRequest(part)!;
      expect(ours.length).toBe(sdk.length);
      expect(Buffer.from(ours).equals(Buffer.from(sdk))).toBe(true);
    }
  });

  it('grows its buffer when a batch is far larger per record than the one before', () => {
    const serializer = createLogsSerializer();
    const small = records((logger) => {
      for (let i = 0; i < 50; i++) logger.emit({ body: 'short', attributes: { i } });
    });
    const large = records((logger) => {
      for (let i = 0; i < 50; i++) logger.emit({ body: 'y'.repeat(40_000), attributes: { i, pad: 'z'.repeat(20_000) } });
    });
    serializer.serializeRequest(small);
    const ours = serializer.serializeRequest(large)!;
    expect(Buffer.from(ours).equals(Buffer.from(ProtobufLogsSerializer.serializeRequest(large)!))).toBe(true);
  });
});
