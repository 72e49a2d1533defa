import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { BufferProtobufWriter } from './protobuf-writer.js';

/**
 * The reference: protobufjs's writer for the wire format and TextEncoder for UTF-8 (what the
 * SDK's writer uses, so a lone surrogate becomes U+FFFD), behind BufferProtobufWriter's methods.
 */
class ReferenceWriter {
  private readonly writer = protobuf.Writer.create();
  private readonly utf8 = new TextEncoder();
  get pos(): number {
    return this.writer.len;
  }
  writeTag(field: number, wireType: number): void {
    this.writer.uint32(((field << 3) | wireType) >>> 0);
  }
  writeVarint(value: number): void {
    this.writer.int64(value);
  }
  writeSint32(value: number): void {
    this.writer.sint32(value);
  }
  writeSfixed64(value: number): void {
    this.writer.sfixed64(value);
  }
  writeFixed32(value: number): void {
    this.writer.fixed32(value);
  }
  writeFixed64(low: number, high: number): void {
    this.writer.fixed64({ low, high, unsigned: true });
  }
  writeDouble(value: number): void {
    this.writer.double(value);
  }
  writeBytes(bytes: Uint8Array): void {
    this.writer.bytes(bytes);
  }
  writeString(text: string): void {
    this.writer.bytes(this.utf8.encode(text));
  }
  startLengthDelimited(): number {
    this.writer.fork();
    return 0;
  }
  finishLengthDelimited(): void {
    this.writer.ldelim();
  }
  finish(): Uint8Array {
    return this.writer.finish();
  }
}

type Writer = BufferProtobufWriter | ReferenceWriter;
type Op = (w: Writer) => void;

/** UTF-16 units of every kind: ASCII, Latin-1, BMP, both halves of surrogate pairs (so pairs
 * and lone surrogates both occur), and whole astral characters. */
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x100, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);
const text = fc.oneof(
  fc.string({ unit, maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '東', '🚀', '\ud800', '\udc00'), minLength: 20, maxLength: 400 }),
  // Around the lengths where the length's varint grows (128, 16384 bytes).
  fc.tuple(fc.integer({ min: 38, max: 140 }), fc.integer({ min: 0, max: 3 })).map(([n, k]) => 'x'.repeat(n) + '€'.repeat(k)),
  fc.tuple(fc.integer({ min: 16_370, max: 16_390 }), fc.constantFrom('', '€', '\ud83d')).map(([n, s]) => 'y'.repeat(n) + s),
);
const number = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0, 127, 128, 16_383, 16_384, 0xffffffff, 2 ** 32, 2 ** 53, -(2 ** 53), 2 ** 63 - 2 ** 10, -(2 ** 63), -1),
  fc.maxSafeInteger(),
  fc.double(),
);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 2 ** 28 - 1 }), fc.constantFrom(0, 1, 2, 5)).map(
    ([f, t]): Op =>
      (w) =>
        w.writeTag(f, t),
  ),
  number.map(
    (v): Op =>
      (w) =>
        w.writeVarint(v),
  ),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(
    (v): Op =>
      (w) =>
        w.writeSint32(v),
  ),
  number.map(
    (v): Op =>
      (w) =>
        w.writeSfixed64(v),
  ),
  number.map(
    (v): Op =>
      (w) =>
        w.writeFixed32(v),
  ),
  fc.tuple(number, number).map(
    ([l, h]): Op =>
      (w) =>
        w.writeFixed64(l, h),
  ),
  fc.double().map(
    (v): Op =>
      (w) =>
        w.writeDouble(v),
  ),
  fc.uint8Array({ maxLength: 300 }).map(
    (b): Op =>
      (w) =>
        w.writeBytes(b),
  ),
  text.map(
    (s): Op =>
      (w) =>
        w.writeString(s),
  ),
);
/** Nested length-delimited messages, so every size of length prefix (and shift) occurs. */
const ops: fc.Arbitrary<Op[]> = fc.letrec<{ ops: Op[] }>((tie) => ({
  ops: fc.array(
    fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      op,
      tie('ops').map(
        (inner): Op =>
          (w) => {
            const start = w.startLengthDelimited();
            const startPos = w.pos;
            for (const o of inner) o(w);
            w.finishLengthDelimited(start, w.pos - startPos);
          },
      ),
    ),
    { maxLength: 12 },
  ),
})).ops;

function bytes(writer: Writer, program: Op[]): Buffer {
  for (const o of program) o(writer);
  return Buffer.from(writer.finish());
}

describe('BufferProtobufWriter', () => {
  it('writes the same bytes as the reference for any sequence of writes', () => {
    fc.assert(
      fc.property(ops, fc.constantFrom(1, 64, 4096), (program, initialSize) => {
        const ours = bytes(new BufferProtobufWriter(initialSize), program);
        const sdk = bytes(new ReferenceWriter(), program);
        expect(ours.toString('hex')).toBe(sdk.toString('hex'));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ['empty', ''],
    ['ASCII at the short-string limit and past it', 'a'.repeat(24) + 'b'.repeat(25)],
    ['lone high surrogate', 'x\ud800y'],
    ['lone low surrogate at the end', 'abc\udfff'],
    ['reversed pair', '\udc00\ud800'],
    ['surrogate pair', '🚀'],
    ['non-ASCII past the short-string limit', 'Zürich — 東京 🚀 '.repeat(5)],
    ['42 three-byte characters (126 bytes)', '東'.repeat(42)],
    ['43 three-byte characters (129 bytes: the reserved length grows)', '東'.repeat(43)],
    ['a string over 64 KiB', 'z'.repeat(70_000) + '東\ud800'],
    ['a string over 2 MiB of non-ASCII', 'é'.repeat(1_100_000)],
  ])('writes %s as the reference does', (_name, s) => {
    const program: Op[] = [(w) => w.writeTag(1, 2), (w) => w.writeString(s), (w) => w.writeString(s.slice(1))];
    const ours = bytes(new BufferProtobufWriter(16), program);
    const sdk = bytes(new ReferenceWriter(), program);
    expect(ours.length).toBe(sdk.length);
    expect(ours.equals(sdk)).toBe(true);
  });

  it('encodes a lone surrogate as U+FFFD, as the SDK (TextEncoder) does', () => {
    const writer = new BufferProtobufWriter(16);
    writer.writeString('a\ud800');
    expect(Buffer.from(writer.finish()).toString('hex')).toBe('0461efbfbd');
  });
});
