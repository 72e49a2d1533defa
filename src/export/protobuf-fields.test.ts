import type { Attributes, HrTime } from '@opentelemetry/api';
import type { AnyValue, AnyValueMap } from '@opentelemetry/api-logs';
import * as sdk from '@opentelemetry/otlp-transformer/build/src/common/protobuf/common-serializer.js';
import { ProtobufWriter } from '@opentelemetry/otlp-transformer/build/src/common/protobuf/protobuf-writer.js';
import { resourceFromAttributes } from '@opentelemetry/resources';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ours from './protobuf-fields.js';
import { BufferProtobufWriter } from './protobuf-writer.js';

function same(write: (o: typeof ours, w: BufferProtobufWriter) => void, writeSdk: (s: typeof sdk, w: ProtobufWriter) => void): void {
  const a = new BufferProtobufWriter(16);
  write(ours, a);
  const b = new ProtobufWriter(16);
  writeSdk(sdk, b);
  expect(Buffer.from(a.finish()).toString('hex')).toBe(Buffer.from(b.finish()).toString('hex'));
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
const attributes = fc
  .tuple(fc.dictionary(key, anyValue, { maxKeys: 30 }), fc.constantFrom('plain', 'null', 'inherited'))
  .map(([entries, shape]) => {
    const target: AnyValueMap =
      shape === 'plain' ? {} : shape === 'null' ? (Object.create(null) as AnyValueMap) : (Object.create({ inherited: 'not an attribute' }) as AnyValueMap);
    return Object.assign(target, entries);
  });

describe('protobuf-fields', () => {
  it('writes attributes (any AnyValue, nested) as the SDK does, keys cached or not', () => {
    fc.assert(
      fc.property(attributes, fc.integer({ min: 1, max: 12 }), (attrs, field) => {
        // Twice: the second time the keys come from the cache.
        for (let i = 0; i < 2; i++) same((o, w) => o.writeAttributes(w, attrs, field), (s, w) => s.writeAttributes(w, attrs as Attributes, field));
      }),
      { numRuns: 300 },
    );
  });

  it('writes the same bytes once the key cache is full', () => {
    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`key.${i}.é`, i]));
    const late = { 'late.key': 'x', 'mist.mac': 'ac3eb1000001' };
    for (const attrs of [many, late, many]) same((o, w) => o.writeAttributes(w, attrs, 6), (s, w) => s.writeAttributes(w, attrs, 6));
  });

  it('writes AnyValues, resources and scopes as the SDK does', () => {
    fc.assert(
      fc.property(anyValue, (v) => same((o, w) => o.writeAnyValue(w, v), (s, w) => s.writeAnyValue(w, v))),
      { numRuns: 300 },
    );
    const resource = resourceFromAttributes({ 'service.name': 'mist-ai', 'host.ids': ['a', 'b'], n: 3 });
    same((o, w) => o.writeResource(w, resource, 1), (s, w) => s.writeResource(w, resource, 1));
    for (const scope of [
      { name: 'mist-otel-bridge', version: '1.2.3' },
      { name: '' },
      { name: 'é', version: '', attributes: { a: 1, 'b.東': ['x'] }, droppedAttributesCount: 2 },
    ]) {
      same((o, w) => o.writeInstrumentationScope(w, scope, 1), (s, w) => s.writeInstrumentationScope(w, scope, 1));
    }
  });

  it('writes HrTime as the same fixed64 nanoseconds as the SDK', () => {
    const times = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 18_446_744_072 }), fc.integer({ min: 0, max: 999_999_999 })),
      fc.constantFrom<[number, number]>([0, 0], [1_763_000_000, 999_999_999], [4_294_967_295, 1], [2 ** 32, 0], [18_446_744_073, 709_551_615]),
    );
    fc.assert(
      fc.property(times, (t) => same((o, w) => o.writeHrTimeAsFixed64(w, t as HrTime), (s, w) => s.writeHrTimeAsFixed64(w, t as HrTime))),
      { numRuns: 500 },
    );
  });
});
