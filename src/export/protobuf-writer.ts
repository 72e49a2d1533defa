/** Strings up to this many UTF-16 units are copied by a JavaScript loop when they are ASCII;
 * below it the loop beats the fixed cost of a native call (bench: about 65 ns per
 * Buffer#write, 2-3 ns per character for the loop). Must stay under 43 so that even a string of
 * three-byte characters has a one-byte length. */
const SHORT_STRING = 24;
/** Longer strings than this get their exact UTF-8 length first instead of a reservation of three
 * bytes per character, which for a string of megabytes would grow the buffer needlessly. */
const RESERVE_LIMIT = 0x10000;

/**
 * A protobuf writer over a Node Buffer with the method set of @opentelemetry/otlp-transformer's
 * internal ProtobufWriter, so the field functions of ./protobuf-fields.ts (copies of the SDK's)
 * read like the SDK's. Its wire format is held to protobufjs's writer and its UTF-8 to
 * TextEncoder's (protobuf-writer.test.ts); the serializers built on it are held to the SDK's
 * public serializers byte for byte.
 *
 * The difference is writeString: the SDK's scans every string in JavaScript to see whether it is
 * ASCII and then copies it character by character (TextEncoder#encode plus a copy otherwise),
 * the largest single function in profiles of log-heavy deliveries. Here only short strings take
 * the JavaScript loop; longer ones are written by Buffer#write (V8's UTF-8 encoder, which like
 * TextEncoder turns a lone surrogate into U+FFFD) straight after a length reserved for their
 * UTF-16 length, and the length is patched in afterwards, moving the bytes only when non-ASCII
 * characters made the length's varint longer than reserved.
 */
export class BufferProtobufWriter {
  pos = 0;
  private buffer: Buffer;
  private view: DataView;

  constructor(initialSize: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, initialSize));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  /** Writes from the start again, over the same buffer (the bytes written so far are no longer read). */
  restart(): this {
    this.pos = 0;
    return this;
  }

  /** The bytes written: a view on the writer's buffer (as the SDK's writer returns). */
  finish(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.pos);
  }

  private ensureCapacity(size: number): void {
    const needed = this.pos + size;
    if (needed <= this.buffer.length) return;
    let newSize = this.buffer.length * 2;
    while (newSize < needed) newSize *= 2;
    const grown = Buffer.allocUnsafe(newSize);
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** One byte reserved for the length, as the SDK reserves: most messages are under 128 bytes. */
  startLengthDelimited(): number {
    const lengthPos = this.pos;
    this.ensureCapacity(1);
    this.pos += 1;
    return lengthPos;
  }

  finishLengthDelimited(pos: number, length: number): void {
    const v = length >>> 0;
    const size = varintSize(v);
    if (size > 1) {
      this.ensureCapacity(size - 1);
      this.buffer.copyWithin(pos + size, pos + 1, this.pos);
      this.pos += size - 1;
    }
    writeVarint32At(this.buffer, pos, v);
  }

  writeTag(fieldNumber: number, wireType: number): void {
    this.writeVarint((fieldNumber << 3) | wireType);
  }

  writeVarint(value: number): void {
    this.ensureCapacity(10);
    const buffer = this.buffer;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        buffer[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buffer[this.pos++] = v;
      return;
    }
    split64(value);
    let low = splitLow;
    let high = splitHigh;
    while (high > 0 || low > 0x7f) {
      buffer[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buffer[this.pos++] = low & 0x7f;
  }

  writeSint32(value: number): void {
    this.writeVarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  writeSfixed64(value: number): void {
    split64(value);
    this.writeFixed64(splitLow, splitHigh);
  }

  writeFixed32(value: number): void {
    this.ensureCapacity(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  writeFixed64(low: number, high: number): void {
    this.ensureCapacity(8);
    this.view.setUint32(this.pos, low >>> 0, true);
    this.view.setUint32(this.pos + 4, high >>> 0, true);
    this.pos += 8;
  }

  writeDouble(value: number): void {
    this.ensureCapacity(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  writeBytes(bytes: Uint8Array): void {
    this.writeVarint(bytes.length);
    this.ensureCapacity(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Bytes as they are (no length): an encoding prepared earlier. */
  writeRaw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensureCapacity(n);
    const buffer = this.buffer;
    const pos = this.pos;
    // A loop beats the native copy for the short runs this is used for.
    if (n <= 64) for (let i = 0; i < n; i++) buffer[pos + i] = bytes[i]!;
    else buffer.set(bytes, pos);
    this.pos = pos + n;
  }

  writeString(str: string): void {
    const n = str.length;
    if (n <= SHORT_STRING) {
      // At most 3 bytes per UTF-16 unit, so the length is one byte whatever the content.
      this.ensureCapacity(1 + 3 * n);
      const buffer = this.buffer;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = str.charCodeAt(i);
        if (c > 0x7f) break;
        buffer[start + i] = c;
      }
      const written = i === n ? n : buffer.write(str, start);
      buffer[this.pos] = written;
      this.pos = start + written;
      return;
    }
    if (n > RESERVE_LIMIT) {
      const length = Buffer.byteLength(str);
      this.writeVarint(length);
      this.ensureCapacity(length);
      this.pos += this.buffer.write(str, this.pos);
      return;
    }
    // UTF-8 takes at least one byte per UTF-16 unit: reserve the length's varint for n bytes.
    this.ensureCapacity(5 + 3 * n);
    const buffer = this.buffer;
    const reserved = varintSize(n);
    const written = buffer.write(str, this.pos + reserved);
    const size = varintSize(written);
    if (size > reserved) buffer.copyWithin(this.pos + size, this.pos + reserved, this.pos + reserved + written);
    writeVarint32At(buffer, this.pos, written);
    this.pos += size + written;
  }
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint32At(buffer: Buffer, pos: number, v: number): void {
  while (v > 0x7f) {
    buffer[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buffer[pos] = v;
}

let splitLow = 0;
let splitHigh = 0;

/** A number as the low and high 32 bits (splitLow, splitHigh: no array per negative number) of a
 * two's-complement 64-bit integer, as the SDK's writer computes them. */
function split64(value: number): void {
  if (value >= 0) {
    splitLow = value >>> 0;
    splitHigh = (value / 0x100000000) >>> 0;
    return;
  }
  const abs = Math.abs(value);
  splitLow = (~(abs >>> 0) + 1) >>> 0;
  splitHigh = ~((abs / 0x100000000) >>> 0) >>> 0;
  if (splitLow === 0) splitHigh = (splitHigh + 1) >>> 0;
}
