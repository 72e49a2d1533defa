import type { AnyValue, Attributes, HrTime } from '@opentelemetry/api';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogsSerializer } from './logs-serializer.js';

/*
 * The field functions are a private copy of the SDK's internal ones; the SDK exports only whole
 * serializers, so each function is held to the SDK through a log record that puts the value
 * where the function writes it, serialised by ours and by ProtobufLogsSerializer.
 */
const RESOURCE = resourceFromAttributes({ 'service.name': 'mist-ai' });
const SCOPE = { name: 'mist-otel-bridge', version: '1.2.3' };

function record(
  fields: Partial<{ attributes: Attributes; body: AnyValue; hrTime: HrTime; resource: Resource; scope: ReadableLogRecord['instrumentationScope'] }>,
): ReadableLogRecord {
  return {
    hrTime: fields.hrTime ?? [1_763_000_000, 5],
    hrTimeObserved: [1_763_000_001, 7],
    body: fields.body,
    attributes: fields.attributes ?? {},
    resource: fields.resource ?? RESOURCE,
    instrumentationScope: fields.scope ?? SCOPE,
    droppedAttributesCount: 0,
  };
}

const serializer = createLogsSerializer();
function same(records: ReadableLogRecord[]): void {
  const ours = Buffer.from(serializer.serializeRequest(records)!);
  const sdk = Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!);
  expect(ours.toString('hex')).toBe(sdk.toString('hex'));
}

const key = fc.oneof(
  fc.constantFrom('mist.mac', 'mist.site_id', 'service.name', '', '0', '10', '2', 'clé 東京 🚀', 'x\ud800', 'k'.repeat(64), 'k'.repeat(65)),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const scalar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.boolean(),
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
  fc.double(),
  fc.constantFrom(2 ** 63, -(2 ** 63), 2 ** 62, -1, null, undefined),
  fc.uint8Array({ maxLength: 20 }),
);
const anyValue: fc.Arbitrary<AnyValue> = fc.letrec<{ value: AnyValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: false }),
  ),
})).value;
/** Maps of every shape the serializers meet: plain, null-prototype, with inherited enumerable
 * keys (which are not attributes), with integer-like keys (which enumerate first). */
const attributes = fc.tuple(fc.dictionary(key, anyValue, { maxKeys: 30 }), fc.constantFrom('plain', 'null', 'inherited')).map(([entries, shape]) => {
  const target: Attributes =
    shape === 'plain' ? {} : shape === 'null' ? (Object.create(null) as Attributes) : (Object.create({ inherited: 'not an attribute' }) as Attributes);
  return Object.assign(target, entries);
});

describe('protobuf-fields', () => {
  it('writes attributes (any AnyValue, nested) as the SDK does, keys cached or not', () => {
    fc.assert(
      fc.property(attributes, (attrs) => {
        // Twice: the second time the keys come from the cache.
        for (let i = 0; i < 2; i++) same([record({ attributes: attrs })]);
      }),
      { numRuns: 300 },
    );
  });

  it('writes the same bytes once the key cache is full', () => {
    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`key.${i}.é`, i]));
    const late = { 'late.key': 'x', 'mist.mac': 'ac3eb1000001' };
    for (const attrs of [many, late, many]) same([record({ attributes: attrs })]);
  });

  it('writes AnyValues, resources and scopes as the SDK does', () => {
    fc.assert(
      fc.property(anyValue, (v) => same([record({ body: v })])),
      { numRuns: 300 },
    );
    same([record({ resource: resourceFromAttributes({ 'service.name': 'mist-ai', 'host.ids': ['a', 'b'], n: 3 }) })]);
    for (const scope of [
      { name: 'mist-otel-bridge', version: '1.2.3' },
      { name: '' },
      { name: 'é', version: '', attributes: { a: 1, 'b.東': ['x'] }, droppedAttributesCount: 2 },
    ]) {
      same([record({ scope })]);
    }
  });

  it('writes HrTime as the same fixed64 nanoseconds as the SDK', () => {
    const times = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 18_446_744_072 }), fc.integer({ min: 0, max: 999_999_999 })),
      fc.constantFrom<[number, number]>([0, 0], [1_763_000_000, 999_999_999], [4_294_967_295, 1], [2 ** 32, 0], [18_446_744_073, 709_551_615]),
    );
    fc.assert(
      fc.property(times, (t) => same([record({ hrTime: t as HrTime })])),
      { numRuns: 500 },
    );
  });
});
