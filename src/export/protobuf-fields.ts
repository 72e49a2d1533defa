import type { AnyValue, Attributes, HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { BufferProtobufWriter } from './protobuf-writer.js';

/*
 * A deliberate private copy of the field functions of @opentelemetry/otlp-transformer's internal
 * common-serializer (common.proto, resource.proto), field for field, for the bridge's writer
 * only. The package exports only whole serializers, and its own field functions are also called
 * by its metrics serializer with its writer and its size estimator, so in the bridge process the
 * writes inside them would go through polymorphic call sites; these see one writer class. Two changes
 * that leave the bytes alone: attribute keys come from Object.keys (the own enumerable keys, in
 * the order of the SDK's for-in with hasOwnProperty, without the per-key check), and the
 * encoded keys of attributes are cached (keyPrefix). Tests hold the bytes to the SDK's
 * (protobuf-fields.test.ts, and the log and span serializers' tests).
 */

/** HrTime as fixed64 nanoseconds, split so that every product stays exact (as the SDK does:
 * seconds * 1e9 alone would exceed 2^53). */
export function writeHrTimeAsFixed64(writer: BufferProtobufWriter, hrTime: HrTime): void {
  const seconds = hrTime[0];
  const nanos = hrTime[1];
  const lowerSeconds = seconds & 0xffff;
  const upperSeconds = (seconds / 0x10000) >>> 0;
  const fromLower = lowerSeconds * 1_000_000_000;
  const fromUpper = upperSeconds * 1_000_000_000;
  const low = (fromLower >>> 0) + (((fromUpper & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = (Math.floor(fromLower / 0x100000000) + ((fromUpper / 0x10000) >>> 0) + Math.floor(low / 0x100000000)) >>> 0;
  writer.writeFixed64(low >>> 0, high);
}

/** Trace and span ids, hex in the SDK's records, as bytes (the SDK's hexToBinary, natively). */
export function hexToBinary(hex: string): Uint8Array {
  return Buffer.from(hex, 'hex');
}

/**
 * The encoded start of a KeyValue (key tag, key, value tag) for the attribute keys of records,
 * spans, events, resources and scopes, which are few and repeat in every record (the mapping
 * interns them): copying these bytes is cheaper than encoding the key again, about a tenth of
 * the serialisation of a log record. The first MAX_CACHED_KEYS keys seen stay; keys inside
 * structured values (kvlist), which come from payloads and need not repeat, are not cached.
 */
const keyPrefixes = new Map<string, Uint8Array>();
const MAX_CACHED_KEYS = 4096;
const MAX_CACHED_KEY_LENGTH = 64;

function keyPrefix(key: string): Uint8Array | undefined {
  const cached = keyPrefixes.get(key);
  if (cached !== undefined || keyPrefixes.size >= MAX_CACHED_KEYS || key.length > MAX_CACHED_KEY_LENGTH) return cached;
  const w = new BufferProtobufWriter(8 + 3 * key.length);
  writeKeyPrefix(w, key);
  const prefix = w.finish().slice(); // its own small copy, not a view on the writer's buffer
  keyPrefixes.set(key, prefix);
  return prefix;
}

function writeKeyPrefix(writer: BufferProtobufWriter, key: string): void {
  writer.writeTag(1, 2); // key
  writer.writeString(key);
  writer.writeTag(2, 2); // value
}

/** repeated KeyValue at fieldNumber: own enumerable keys, in for-in order. */
export function writeAttributes(writer: BufferProtobufWriter, attributes: Attributes | Attributes, fieldNumber: number, cacheKeys = true): void {
  const keys = Object.keys(attributes);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    writer.writeTag(fieldNumber, 2);
    const start = writer.startLengthDelimited();
    const startPos = writer.pos;
    const prefix = cacheKeys ? keyPrefix(key) : undefined;
    if (prefix) writer.writeRaw(prefix);
    else writeKeyPrefix(writer, key);
    writeValue(writer, attributes[key] as AnyValue);
    writer.finishLengthDelimited(start, writer.pos - startPos);
  }
}

/** An AnyValue as a length-delimited message (its tag already written). */
function writeValue(writer: BufferProtobufWriter, value: AnyValue): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  writeAnyValue(writer, value);
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

// int64 bounds: integers in them are int_value, other numbers double_value.
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** The fields of an AnyValue (without its own tag and length); nothing for null, undefined and
 * values AnyValue has no field for, as the SDK. */
export function writeAnyValue(writer: BufferProtobufWriter, value: AnyValue): void {
  const t = typeof value;
  if (t === 'string') {
    writer.writeTag(1, 2); // string_value
    writer.writeString(value as string);
  } else if (t === 'boolean') {
    writer.writeTag(2, 0); // bool_value
    writer.writeVarint(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      writer.writeTag(3, 0); // int_value
      writer.writeVarint(n);
    } else {
      writer.writeTag(4, 1); // double_value
      writer.writeDouble(n);
    }
  } else if (value instanceof Uint8Array) {
    writer.writeTag(7, 2); // bytes_value
    writer.writeBytes(value);
  } else if (Array.isArray(value)) {
    writer.writeTag(5, 2); // array_value
    const start = writer.startLengthDelimited();
    const startPos = writer.pos;
    for (const item of value) {
      writer.writeTag(1, 2); // ArrayValue.values
      const itemStart = writer.startLengthDelimited();
      const itemStartPos = writer.pos;
      writeAnyValue(writer, item);
      writer.finishLengthDelimited(itemStart, writer.pos - itemStartPos);
    }
    writer.finishLengthDelimited(start, writer.pos - startPos);
  } else if (t === 'object' && value != null) {
    writer.writeTag(6, 2); // kvlist_value
    const start = writer.startLengthDelimited();
    const startPos = writer.pos;
    writeAttributes(writer, value as Attributes, 1, false); // KeyValueList.values
    writer.finishLengthDelimited(start, writer.pos - startPos);
  }
}

/** An InstrumentationScope message with its tag. */
export function writeInstrumentationScope(
  writer: BufferProtobufWriter,
  scope: InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number },
  fieldNumber: number,
): void {
  writer.writeTag(fieldNumber, 2);
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  writer.writeTag(1, 2); // name
  writer.writeString(scope.name);
  if (scope.version) {
    writer.writeTag(2, 2); // version
    writer.writeString(scope.version);
  }
  if (scope.attributes) writeAttributes(writer, scope.attributes, 3); // attributes
  if (scope.droppedAttributesCount) {
    writer.writeTag(4, 0); // dropped_attributes_count
    writer.writeVarint(scope.droppedAttributesCount);
  }
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

/** A Resource message with its tag (dropped_attributes_count always 0, as the SDK writes it). */
export function writeResource(writer: BufferProtobufWriter, resource: Resource, fieldNumber: number): void {
  writer.writeTag(fieldNumber, 2);
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  if (resource.attributes) writeAttributes(writer, resource.attributes, 1); // attributes
  writer.writeTag(2, 0); // dropped_attributes_count
  writer.writeVarint(0);
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

/**
 * The body of Resource{Logs,Spans,Metrics} and of Scope{Logs,Spans,Metrics}, one shape in the
 * three signals' protos: the resource or scope it belongs to (1), its items, each a message (2),
 * and the owner's schema_url (3).
 */
export function writeContainer<Owner extends { schemaUrl?: string }, Item>(
  writer: BufferProtobufWriter,
  writeOwner: (writer: BufferProtobufWriter, owner: Owner, fieldNumber: number) => void,
  owner: Owner,
  items: Iterable<Item>,
  writeItem: (writer: BufferProtobufWriter, item: Item) => void,
): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  writeOwner(writer, owner, 1);
  for (const item of items) {
    writer.writeTag(2, 2);
    writeItem(writer, item);
  }
  if (owner.schemaUrl) {
    writer.writeTag(3, 2);
    writer.writeString(owner.schemaUrl);
  }
  writer.finishLengthDelimited(start, writer.pos - startPos);
}
