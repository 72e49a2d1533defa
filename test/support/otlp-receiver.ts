/**
 * In-process OTLP/HTTP receiver for tests.
 *
 * It listens on loopback, accepts POST /v1/logs, /v1/metrics and /v1/traces
 * encoded as OTLP/JSON (application/json) or OTLP/protobuf
 * (application/x-protobuf), optionally gzip-compressed, and decodes them into
 * flat, easy-to-assert records: one ReceivedLog per log record, one
 * ReceivedPoint per metric data point and one ReceivedSpan per span, each
 * carrying its resource and scope.
 *
 * It is deliberately strict: a body it cannot decode (bad JSON, a JSON field of
 * the wrong type, protobuf bytes with an unknown field number or a wrong wire
 * type, a trace/span id of the wrong length, a timestamp or count sent as a
 * JSON number beyond 2^53 — which JSON.parse cannot hold exactly) is answered
 * with 400 and recorded in `requests` with the reason in `error`, instead of
 * being silently skipped.
 *
 * Conventions of the decoded values:
 * - timestamps are bigint nanoseconds, exact (fixed64 via Long, JSON strings
 *   or safe-integer numbers);
 * - AnyValue: string/bool/double as is, int → number, array → array,
 *   kvlist → plain object, bytes → Buffer, an empty AnyValue → null;
 * - trace/span ids are lowercase hex strings; absent/empty ids are omitted;
 * - optional string fields (scope.version, eventName, status.message,
 *   parentSpanId, …) are omitted when empty.
 *
 * While `failWith(status)` is active every export (or every export of the
 * signals named) is answered with that status and its telemetry is NOT stored
 * (the backend rejected it); the request itself is still recorded in `requests`.
 * While `slowDown(ms)` is active every export is decoded and stored at once but
 * answered only after `ms` (Infinity: never, until cleared), as a slow backend
 * that takes what a client then gives up waiting for.
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { pollUntil } from './poll.js';

// ------------------------------------------------------------------ public API

export interface ReceivedScope {
  name: string;
  version?: string;
  /** Only present when the scope carries attributes. */
  attributes?: Record<string, unknown>;
}

export interface ReceivedLog {
  resource: Record<string, unknown>;
  scope: ReceivedScope;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  /** undefined when the record has no body; null for an empty AnyValue. */
  body: unknown;
  attributes: Record<string, unknown>;
  eventName?: string;
  traceId?: string;
  spanId?: string;
  /** W3C trace flags; only present when non-zero. */
  flags?: number;
}

export interface ReceivedExemplar {
  timeUnixNano: bigint;
  value?: number;
  traceId?: string;
  spanId?: string;
  attributes: Record<string, unknown>;
}

export interface ReceivedPoint {
  resource: Record<string, unknown>;
  scope: ReceivedScope;
  name: string;
  description: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  /** sum only. */
  monotonic?: boolean;
  /** sum, histogram, exponentialHistogram (absent when UNSPECIFIED). */
  temporality?: 'delta' | 'cumulative';
  attributes: Record<string, unknown>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** gauge and sum: asDouble or asInt (as number). */
  value?: number;
  /** histogram, exponentialHistogram, summary. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  /** histogram only. */
  bucketCounts?: number[];
  explicitBounds?: number[];
  /** exponentialHistogram only. */
  scale?: number;
  zeroCount?: number;
  zeroThreshold?: number;
  positive?: { offset: number; bucketCounts: number[] };
  negative?: { offset: number; bucketCounts: number[] };
  /** summary only. */
  quantileValues?: { quantile: number; value: number }[];
  /** Only present when non-zero. */
  flags?: number;
  /** Only present when the point carries exemplars. */
  exemplars?: ReceivedExemplar[];
}

export interface ReceivedSpan {
  resource: Record<string, unknown>;
  scope: ReceivedScope;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  /** Only present when non-zero. */
  flags?: number;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string };
  events: { name: string; timeUnixNano: bigint; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown>; traceState?: string }[];
}

export interface ReceivedRequest {
  signal: 'logs' | 'metrics' | 'traces';
  /** Content-Type header as sent ('' when absent). */
  contentType: string;
  contentEncoding?: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** Body size on the wire (before gunzip). */
  bytes: number;
  /** HTTP status the receiver answered with. */
  status: number;
  /** Why the request was not accepted (decode error, failWith, …). */
  error?: string;
}

export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT (exporters append /v1/logs etc.). */
  url: string;
  port: number;
  logs: ReceivedLog[];
  points: ReceivedPoint[];
  spans: ReceivedSpan[];
  requests: ReceivedRequest[];
  /**
   * Answer every export (of `signals`, default all) with this HTTP status (and
   * headers, e.g. Retry-After) until cleared with null. Telemetry of such
   * requests is not stored.
   */
  failWith(status: number | null, headers?: Record<string, string>, signals?: Signal[]): void;
  /** Store each export at once but answer it only after `ms` (Infinity: hang); null clears. */
  slowDown(ms: number | null): void;
  /** Close the listening socket and all connections (connection refused); keep collected data. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  restart(): Promise<void>;
  /** Poll until predicate() is true; rejects with counts of what arrived on timeout (default 10 s). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Empty logs/points/spans/requests (in place). Does not reset failWith. */
  clear(): void;
  close(): Promise<void>;
}

// ------------------------------------------------------------------- schema

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp.proto', import.meta.url)));
root.resolveAll();

// fixed64 timestamps only decode exactly if protobufjs found the `long` package.
if (!protobuf.util.Long) {
  throw new Error('otlp-receiver: protobufjs has no Long support; fixed64 timestamps would lose precision');
}

const REQUEST_TYPES = {
  logs: root.lookupType('otlp.ExportLogsServiceRequest'),
  metrics: root.lookupType('otlp.ExportMetricsServiceRequest'),
  traces: root.lookupType('otlp.ExportTraceServiceRequest'),
} as const;

const ENUMS = {
  severity: root.lookupEnum('otlp.SeverityNumber'),
  temporality: root.lookupEnum('otlp.AggregationTemporality'),
  spanKind: root.lookupEnum('otlp.Span.SpanKind'),
  statusCode: root.lookupEnum('otlp.Status.StatusCode'),
} as const;

export type Signal = keyof typeof REQUEST_TYPES;

const ROUTES: Record<string, Signal> = {
  '/v1/logs': 'logs',
  '/v1/metrics': 'metrics',
  '/v1/traces': 'traces',
};

const MAX_BODY_BYTES = 64 * 1024 * 1024;

class DecodeError extends Error {}

// --------------------------------------------------- strict protobuf wire check

/**
 * Walk the protobuf bytes against the schema and throw on anything protobufjs
 * would silently skip: unknown field numbers, wire types that do not match the
 * declared field type, groups, truncated data.
 */
function checkWire(type: protobuf.Type, buf: Uint8Array, path: string): void {
  const reader = protobuf.Reader.create(buf);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const field = type.fieldsById[id];
    if (!field) {
      throw new DecodeError(`protobuf: unknown field number ${id} (wire type ${wireType}) in ${path} (${type.name})`);
    }
    const where = `${path}.${field.name}`;
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) {
      if (wireType !== 2) throw new DecodeError(`protobuf: ${where} is a message but has wire type ${wireType}`);
      const len = reader.uint32();
      const start = reader.pos;
      if (start + len > reader.len) throw new DecodeError(`protobuf: ${where} is truncated`);
      checkWire(resolved, reader.buf.subarray(start, start + len), where);
      reader.pos = start + len;
      continue;
    }
    const scalar = resolved instanceof protobuf.Enum ? 'int32' : field.type;
    const expected = (protobuf.types.basic as Record<string, number | undefined>)[scalar];
    if (expected === undefined) throw new DecodeError(`protobuf: ${where} has unsupported type ${field.type}`);
    const packable = (protobuf.types.packed as Record<string, number | undefined>)[scalar] !== undefined;
    const ok = wireType === expected || (field.repeated && packable && wireType === 2);
    if (!ok) throw new DecodeError(`protobuf: ${where} (${field.type}) has wire type ${wireType}, expected ${expected}`);
    try {
      reader.skipType(wireType);
    } catch (err) {
      throw new DecodeError(`protobuf: ${where} is truncated (${(err as Error).message})`);
    }
  }
  if (reader.pos !== reader.len) throw new DecodeError(`protobuf: ${path} is truncated`);
}

function decodeProtobuf(signal: Signal, body: Buffer): Record<string, unknown> {
  const type = REQUEST_TYPES[signal];
  try {
    checkWire(type, body, type.name);
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`protobuf: ${(err as Error).message}`);
  }
  let message: protobuf.Message;
  try {
    message = type.decode(body);
  } catch (err) {
    throw new DecodeError(`protobuf: ${(err as Error).message}`);
  }
  // int64/fixed64 → decimal strings (exact), bytes stay Buffers, enums numbers.
  return type.toObject(message, { longs: String, enums: Number, defaults: false, arrays: false, oneofs: false });
}

// ------------------------------------------------------------- JSON decoding

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * OTLP/JSON field names are lowerCamelCase, but protobuf JSON parsers also
 * accept the original snake_case names. No user data lives in JSON object
 * keys in OTLP (attribute keys are `key` values), so renaming keys is safe.
 */
function normalizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[snakeToCamel(k)] = normalizeKeys(v);
    return out;
  }
  return value;
}

function decodeJson(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    throw new DecodeError(`json: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecodeError('json: request body is not a JSON object');
  }
  return normalizeKeys(parsed) as Record<string, unknown>;
}

// ------------------------------------------------ typed field access (both paths)

type Obj = Record<string, unknown>;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function objField(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new DecodeError(`${path}.${key}: expected object, got ${typeName(v)}`);
  return v;
}

function arrField(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(`${path}.${key}: expected array, got ${typeName(v)}`);
  return v;
}

function objArr(o: Obj, key: string, path: string): { item: Obj; path: string }[] {
  return arrField(o, key, path).map((item, i) => {
    const p = `${path}.${key}[${i}]`;
    if (!isObj(item)) throw new DecodeError(`${p}: expected object, got ${typeName(item)}`);
    return { item, path: p };
  });
}

function strField(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new DecodeError(`${path}.${key}: expected string, got ${typeName(v)}`);
  return v;
}

function boolField(o: Obj, key: string, path: string): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new DecodeError(`${path}.${key}: expected boolean, got ${typeName(v)}`);
  return v;
}

/** Exact 64-bit integer: decimal string, safe-integer number, or Long-like. */
function toBigInt(v: unknown, where: string, signed: boolean): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') {
    if (!/^-?\d+$/.test(v.trim())) throw new DecodeError(`${where}: "${v}" is not an integer`);
    return BigInt(v.trim());
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new DecodeError(`${where}: ${v} is not an integer`);
    if (!Number.isSafeInteger(v)) {
      throw new DecodeError(`${where}: JSON number ${v} is beyond 2^53 and may have lost precision; send int64 as a string`);
    }
    return BigInt(v);
  }
  if (isObj(v) && typeof v.low === 'number' && typeof v.high === 'number') {
    const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return signed ? BigInt.asIntN(64, bits) : bits;
  }
  throw new DecodeError(`${where}: expected 64-bit integer, got ${typeName(v)}`);
}

function u64Field(o: Obj, key: string, path: string): bigint {
  const v = o[key];
  if (v === undefined || v === null) return 0n;
  const n = toBigInt(v, `${path}.${key}`, false);
  if (n < 0n) throw new DecodeError(`${path}.${key}: negative value ${n} for an unsigned field`);
  return n;
}

/** int64/int32/sint32 → number. A JSON number is taken as is (even beyond 2^53, like Number() would). */
function intToNumber(v: unknown, where: string): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new DecodeError(`${where}: ${v} is not an integer`);
    return v;
  }
  return Number(toBigInt(v, where, true));
}

function countField(o: Obj, key: string, path: string): number {
  return Number(u64Field(o, key, path));
}

/** double: number, or (protobuf JSON) a numeric string / "NaN" / "Infinity" / "-Infinity". */
function toDouble(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    if (v.trim() !== '' && (!Number.isNaN(n) || v === 'NaN')) return n;
  }
  throw new DecodeError(`${where}: expected double, got ${typeName(v)}${typeof v === 'string' ? ` "${v}"` : ''}`);
}

function optDouble(o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return toDouble(v, `${path}.${key}`);
}

/** uint32 / fixed32. */
function u32Field(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  const n = toBigInt(v, `${path}.${key}`, false);
  if (n < 0n || n > 0xffffffffn) throw new DecodeError(`${path}.${key}: ${n} out of uint32 range`);
  return Number(n);
}

function enumField(o: Obj, key: string, path: string, e: protobuf.Enum): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string' && !/^-?\d+$/.test(v)) {
    const n = e.values[v];
    if (n === undefined) throw new DecodeError(`${path}.${key}: unknown ${e.name} value "${v}"`);
    return n;
  }
  return intToNumber(v, `${path}.${key}`);
}

/** trace/span id: bytes (protobuf) or hex string (OTLP/JSON) → lowercase hex; undefined when empty. */
function idField(o: Obj, key: string, path: string, byteLength: 8 | 16): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  let hex: string;
  if (v instanceof Uint8Array) {
    hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  } else if (typeof v === 'string') {
    if (!/^[0-9a-fA-F]*$/.test(v)) {
      throw new DecodeError(`${path}.${key}: "${v}" is not hex (OTLP/JSON ids are hex strings, not base64)`);
    }
    hex = v.toLowerCase();
  } else {
    throw new DecodeError(`${path}.${key}: expected id, got ${typeName(v)}`);
  }
  if (hex === '') return undefined;
  if (hex.length !== byteLength * 2) {
    throw new DecodeError(`${path}.${key}: expected ${byteLength} bytes, got ${hex.length / 2} (${hex})`);
  }
  return hex;
}

function bytesValue(v: unknown, where: string): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'string') {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw new DecodeError(`${where}: not base64`);
    return Buffer.from(v, 'base64');
  }
  throw new DecodeError(`${where}: expected bytes, got ${typeName(v)}`);
}

// ---------------------------------------------------------- OTLP → plain JS

function anyValue(v: unknown, where: string): unknown {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw new DecodeError(`${where}: expected AnyValue object, got ${typeName(v)}`);
  const set = Object.keys(v).filter((k) => v[k] !== undefined && v[k] !== null);
  if (set.length === 0) return null;
  if (set.length > 1) throw new DecodeError(`${where}: AnyValue has more than one value: ${set.join(', ')}`);
  const k = set[0] as string;
  const val = v[k];
  switch (k) {
    case 'stringValue':
      return strField(v, k, where);
    case 'boolValue':
      return boolField(v, k, where);
    case 'intValue':
      return intToNumber(val, `${where}.intValue`);
    case 'doubleValue':
      return toDouble(val, `${where}.doubleValue`);
    case 'bytesValue':
      return bytesValue(val, `${where}.bytesValue`);
    case 'arrayValue': {
      const arr = objField(v, k, where) ?? {};
      return arrField(arr, 'values', `${where}.arrayValue`).map((item, i) => anyValue(item, `${where}.arrayValue.values[${i}]`));
    }
    case 'kvlistValue': {
      const kv = objField(v, k, where) ?? {};
      return keyValues(kv, 'values', `${where}.kvlistValue`);
    }
    default:
      throw new DecodeError(`${where}: unknown AnyValue field "${k}"`);
  }
}

function keyValues(o: Obj, key: string, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { item, path: p } of objArr(o, key, path)) {
    out[strField(item, 'key', p)] = anyValue(item.value, `${p}.value`);
  }
  return out;
}

function resourceOf(container: Obj, path: string): Record<string, unknown> {
  const resource = objField(container, 'resource', path);
  return resource ? keyValues(resource, 'attributes', `${path}.resource`) : {};
}

function scopeOf(container: Obj, path: string): ReceivedScope {
  const scope = objField(container, 'scope', path) ?? {};
  const p = `${path}.scope`;
  const out: ReceivedScope = { name: strField(scope, 'name', p) };
  const version = strField(scope, 'version', p);
  if (version !== '') out.version = version;
  const attributes = keyValues(scope, 'attributes', p);
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  return out;
}

/** Each record (log record, metric, span) of an export request, with its resource, scope and path. */
function* recordsOf(req: Obj, [resourceKey, scopeKey, recordKey]: readonly [string, string, string]) {
  for (const { item: r, path: rp } of objArr(req, resourceKey, '')) {
    const resource = resourceOf(r, rp);
    for (const { item: sc, path: sp } of objArr(r, scopeKey, rp)) {
      const scope = scopeOf(sc, sp);
      for (const { item, path } of objArr(sc, recordKey, sp)) yield { item, path, resource, scope };
    }
  }
}

function decodeLogs(req: Obj): ReceivedLog[] {
  const out: ReceivedLog[] = [];
  for (const { item: lr, path: p, resource, scope } of recordsOf(req, ['resourceLogs', 'scopeLogs', 'logRecords'])) {
    const log: ReceivedLog = {
      resource,
      scope,
      timeUnixNano: u64Field(lr, 'timeUnixNano', p),
      observedTimeUnixNano: u64Field(lr, 'observedTimeUnixNano', p),
      severityNumber: enumField(lr, 'severityNumber', p, ENUMS.severity),
      severityText: strField(lr, 'severityText', p),
      body: lr.body === undefined || lr.body === null ? undefined : anyValue(lr.body, `${p}.body`),
      attributes: keyValues(lr, 'attributes', p),
    };
    const eventName = strField(lr, 'eventName', p);
    if (eventName !== '') log.eventName = eventName;
    const traceId = idField(lr, 'traceId', p, 16);
    if (traceId !== undefined) log.traceId = traceId;
    const spanId = idField(lr, 'spanId', p, 8);
    if (spanId !== undefined) log.spanId = spanId;
    const flags = u32Field(lr, 'flags', p);
    if (flags !== 0) log.flags = flags;
    out.push(log);
  }
  return out;
}

function temporalityOf(data: Obj, path: string): 'delta' | 'cumulative' | undefined {
  const t = enumField(data, 'aggregationTemporality', path, ENUMS.temporality);
  return t === 1 ? 'delta' : t === 2 ? 'cumulative' : undefined;
}

function numberValue(dp: Obj, path: string): number | undefined {
  const hasDouble = dp.asDouble !== undefined && dp.asDouble !== null;
  const hasInt = dp.asInt !== undefined && dp.asInt !== null;
  if (hasDouble && hasInt) throw new DecodeError(`${path}: both asDouble and asInt are set`);
  if (hasDouble) return toDouble(dp.asDouble, `${path}.asDouble`);
  if (hasInt) return intToNumber(dp.asInt, `${path}.asInt`);
  return undefined;
}

function exemplarsOf(dp: Obj, path: string): ReceivedExemplar[] | undefined {
  const list = objArr(dp, 'exemplars', path);
  if (list.length === 0) return undefined;
  return list.map(({ item: ex, path: p }) => {
    const out: ReceivedExemplar = {
      timeUnixNano: u64Field(ex, 'timeUnixNano', p),
      attributes: keyValues(ex, 'filteredAttributes', p),
    };
    const value = numberValue(ex, p);
    if (value !== undefined) out.value = value;
    const traceId = idField(ex, 'traceId', p, 16);
    if (traceId !== undefined) out.traceId = traceId;
    const spanId = idField(ex, 'spanId', p, 8);
    if (spanId !== undefined) out.spanId = spanId;
    return out;
  });
}

function bucketsOf(dp: Obj, key: string, path: string): { offset: number; bucketCounts: number[] } | undefined {
  const b = objField(dp, key, path);
  if (!b) return undefined;
  const p = `${path}.${key}`;
  return {
    offset: intToNumber(b.offset ?? 0, `${p}.offset`),
    bucketCounts: arrField(b, 'bucketCounts', p).map((c, i) => Number(toBigInt(c, `${p}.bucketCounts[${i}]`, false))),
  };
}

const METRIC_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

function decodeMetrics(req: Obj): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const { item: m, path: mp, resource, scope } of recordsOf(req, ['resourceMetrics', 'scopeMetrics', 'metrics'])) {
    const kinds = METRIC_KINDS.filter((k) => m[k] !== undefined && m[k] !== null);
    if (kinds.length > 1) throw new DecodeError(`${mp}: metric has more than one data field: ${kinds.join(', ')}`);
    const kind = kinds[0];
    if (kind === undefined) continue; // a metric without data carries no points
    const data = objField(m, kind, mp) ?? {};
    const dataPath = `${mp}.${kind}`;
    const base = {
      resource,
      scope,
      name: strField(m, 'name', mp),
      description: strField(m, 'description', mp),
      unit: strField(m, 'unit', mp),
      kind,
    };
    for (const { item: dp, path: p } of objArr(data, 'dataPoints', dataPath)) {
      const point: ReceivedPoint = {
        ...base,
        attributes: keyValues(dp, 'attributes', p),
        startTimeUnixNano: u64Field(dp, 'startTimeUnixNano', p),
        timeUnixNano: u64Field(dp, 'timeUnixNano', p),
      };
      if (kind === 'sum') point.monotonic = boolField(data, 'isMonotonic', dataPath);
      if (kind === 'sum' || kind === 'histogram' || kind === 'exponentialHistogram') {
        const temporality = temporalityOf(data, dataPath);
        if (temporality !== undefined) point.temporality = temporality;
      }
      if (kind === 'gauge' || kind === 'sum') {
        const value = numberValue(dp, p);
        if (value !== undefined) point.value = value;
      } else {
        point.count = countField(dp, 'count', p);
        const sum = optDouble(dp, 'sum', p);
        if (sum !== undefined) point.sum = sum;
        if (kind !== 'summary') {
          const min = optDouble(dp, 'min', p);
          if (min !== undefined) point.min = min;
          const max = optDouble(dp, 'max', p);
          if (max !== undefined) point.max = max;
        }
      }
      if (kind === 'histogram') {
        point.bucketCounts = arrField(dp, 'bucketCounts', p).map((c, i) => Number(toBigInt(c, `${p}.bucketCounts[${i}]`, false)));
        point.explicitBounds = arrField(dp, 'explicitBounds', p).map((b, i) => toDouble(b, `${p}.explicitBounds[${i}]`));
      }
      if (kind === 'exponentialHistogram') {
        point.scale = intToNumber(dp.scale ?? 0, `${p}.scale`);
        point.zeroCount = countField(dp, 'zeroCount', p);
        point.zeroThreshold = optDouble(dp, 'zeroThreshold', p) ?? 0;
        const positive = bucketsOf(dp, 'positive', p);
        if (positive) point.positive = positive;
        const negative = bucketsOf(dp, 'negative', p);
        if (negative) point.negative = negative;
      }
      if (kind === 'summary') {
        point.quantileValues = objArr(dp, 'quantileValues', p).map(({ item: q, path: qp }) => ({
          quantile: optDouble(q, 'quantile', qp) ?? 0,
          value: optDouble(q, 'value', qp) ?? 0,
        }));
      }
      const flags = u32Field(dp, 'flags', p);
      if (flags !== 0) point.flags = flags;
      const exemplars = exemplarsOf(dp, p);
      if (exemplars) point.exemplars = exemplars;
      out.push(point);
    }
  }
  return out;
}

function requiredId(o: Obj, key: string, path: string, byteLength: 8 | 16): string {
  const id = idField(o, key, path, byteLength);
  if (id === undefined) throw new DecodeError(`${path}.${key}: required id is missing or empty`);
  return id;
}

function decodeTraces(req: Obj): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const { item: s, path: p, resource, scope } of recordsOf(req, ['resourceSpans', 'scopeSpans', 'spans'])) {
    const statusObj = objField(s, 'status', p) ?? {};
    const status: ReceivedSpan['status'] = {
      code: enumField(statusObj, 'code', `${p}.status`, ENUMS.statusCode),
    };
    const statusMessage = strField(statusObj, 'message', `${p}.status`);
    if (statusMessage !== '') status.message = statusMessage;
    const span: ReceivedSpan = {
      resource,
      scope,
      traceId: requiredId(s, 'traceId', p, 16),
      spanId: requiredId(s, 'spanId', p, 8),
      name: strField(s, 'name', p),
      kind: enumField(s, 'kind', p, ENUMS.spanKind),
      startTimeUnixNano: u64Field(s, 'startTimeUnixNano', p),
      endTimeUnixNano: u64Field(s, 'endTimeUnixNano', p),
      attributes: keyValues(s, 'attributes', p),
      status,
      events: objArr(s, 'events', p).map(({ item: e, path: ep }) => ({
        name: strField(e, 'name', ep),
        timeUnixNano: u64Field(e, 'timeUnixNano', ep),
        attributes: keyValues(e, 'attributes', ep),
      })),
      links: objArr(s, 'links', p).map(({ item: l, path: lp }) => {
        const link: ReceivedSpan['links'][number] = {
          traceId: requiredId(l, 'traceId', lp, 16),
          spanId: requiredId(l, 'spanId', lp, 8),
          attributes: keyValues(l, 'attributes', lp),
        };
        const traceState = strField(l, 'traceState', lp);
        if (traceState !== '') link.traceState = traceState;
        return link;
      }),
    };
    const parentSpanId = idField(s, 'parentSpanId', p, 8);
    if (parentSpanId !== undefined) span.parentSpanId = parentSpanId;
    const traceState = strField(s, 'traceState', p);
    if (traceState !== '') span.traceState = traceState;
    const flags = u32Field(s, 'flags', p);
    if (flags !== 0) span.flags = flags;
    out.push(span);
  }
  return out;
}

/**
 * An OTLP/JSON request body decoded as the receiver decodes what it is sent, with the same strict
 * checks: for in-memory sinks (./memory-otlp.ts) whose assertions read the same shapes.
 */
export function decodeOtlpJson(signal: 'logs', body: Uint8Array): ReceivedLog[];
export function decodeOtlpJson(signal: 'metrics', body: Uint8Array): ReceivedPoint[];
export function decodeOtlpJson(signal: 'traces', body: Uint8Array): ReceivedSpan[];
export function decodeOtlpJson(signal: Signal, body: Uint8Array): ReceivedLog[] | ReceivedPoint[] | ReceivedSpan[] {
  const decoded = decodeJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  if (signal === 'logs') return decodeLogs(decoded);
  if (signal === 'metrics') return decodeMetrics(decoded);
  return decodeTraces(decoded);
}

// ------------------------------------------------------------------ HTTP

/** google.rpc.Code for an HTTP status, for the error body. */
function rpcCode(status: number): number {
  switch (status) {
    case 400:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return status >= 500 ? 13 : 2; // INTERNAL : UNKNOWN
  }
}

type BodyFormat = 'json' | 'protobuf' | 'text';

function formatOf(contentType: string): BodyFormat {
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mime === 'application/json') return 'json';
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'protobuf';
  return 'text';
}

const MIME: Record<BodyFormat, string> = {
  json: 'application/json',
  protobuf: 'application/x-protobuf',
  text: 'text/plain; charset=utf-8',
};

/** Error body in the request's format: google.rpc.Status { code = 1; message = 2 }. */
function errorBody(format: BodyFormat, status: number, message: string): Buffer {
  const code = rpcCode(status);
  if (format === 'json') return Buffer.from(JSON.stringify({ code, message }));
  if (format === 'protobuf') {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 0).int32(code);
    w.uint32((2 << 3) | 2).string(message);
    return Buffer.from(w.finish());
  }
  return Buffer.from(message);
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startOtlpReceiver(opts: { port?: number; host?: string } = {}): Promise<OtlpReceiver> {
  const host = opts.host ?? '127.0.0.1';
  let server: Server | null = null;
  let closed = false;
  let failure: { status: number; headers: Record<string, string>; signals: Signal[] | undefined } | null = null;
  let answerAfterMs: number | null = null;
  // Held answers of a hanging receiver, released when slowDown is cleared or the receiver closes.
  const held = new Set<() => void>();

  const logs: ReceivedLog[] = [];
  const points: ReceivedPoint[] = [];
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];

  function send(res: ServerResponse, status: number, format: BodyFormat, body: Buffer, headers: Record<string, string> = {}) {
    if (res.destroyed) return;
    res.writeHead(status, { ...headers, 'Content-Type': MIME[format], 'Content-Length': String(body.length) });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://receiver').pathname;
    const signal = ROUTES[pathname];
    const contentType = req.headers['content-type'] ?? '';
    const format = formatOf(contentType);
    if (signal === undefined) {
      req.resume();
      send(res, 404, 'text', Buffer.from(`otlp-receiver: no route for ${req.method ?? '?'} ${pathname}`));
      return;
    }
    const rawEncoding = req.headers['content-encoding'];
    const record: ReceivedRequest = {
      signal,
      contentType,
      headers: flattenHeaders(req),
      bytes: 0,
      status: 0,
    };
    if (rawEncoding !== undefined) record.contentEncoding = rawEncoding;

    const reject = (status: number, message: string, headers: Record<string, string> = {}) => {
      record.status = status;
      record.error = message;
      requests.push(record);
      send(res, status, format, errorBody(format, status, message), headers);
    };

    if (req.method !== 'POST') {
      req.resume();
      reject(405, `method ${req.method ?? '?'} not allowed, use POST`, { Allow: 'POST' });
      return;
    }
    const body = await readBody(req);
    if (body === 'too-large') {
      record.bytes = MAX_BODY_BYTES;
      reject(413, `body larger than ${MAX_BODY_BYTES} bytes`);
      return;
    }
    record.bytes = body.length;

    if (failure && (failure.signals === undefined || failure.signals.includes(signal))) {
      reject(failure.status, `otlp-receiver: failWith(${failure.status})`, failure.headers);
      return;
    }

    let payload: Buffer = body;
    const encoding = (rawEncoding ?? '').trim().toLowerCase();
    if (encoding === 'gzip' || encoding === 'x-gzip') {
      try {
        payload = gunzipSync(body);
      } catch (err) {
        reject(400, `gzip: ${(err as Error).message}`);
        return;
      }
    } else if (encoding !== '' && encoding !== 'identity') {
      reject(415, `unsupported Content-Encoding "${rawEncoding ?? ''}"`);
      return;
    }
    if (format === 'text') {
      reject(415, `unsupported Content-Type "${contentType}", expected application/json or application/x-protobuf`);
      return;
    }

    try {
      const decoded = format === 'json' ? decodeJson(payload) : decodeProtobuf(signal, payload);
      if (signal === 'logs') logs.push(...decodeLogs(decoded));
      else if (signal === 'metrics') points.push(...decodeMetrics(decoded));
      else spans.push(...decodeTraces(decoded));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      reject(400, err.message);
      return;
    }
    record.status = 200;
    requests.push(record);
    if (answerAfterMs !== null) {
      const ms = answerAfterMs;
      await new Promise<void>((resolve) => {
        const release = () => {
          held.delete(release);
          clearTimeout(timer);
          resolve();
        };
        const timer = Number.isFinite(ms) ? setTimeout(release, ms) : undefined;
        held.add(release);
      });
    }
    // An empty Export*ServiceResponse: "{}" in JSON, zero bytes in protobuf.
    send(res, 200, format, format === 'json' ? Buffer.from('{}') : Buffer.alloc(0));
  }

  function listen(port: number): Promise<Server> {
    return new Promise((resolve, reject) => {
      const s = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          if (!res.headersSent && !res.destroyed) {
            res.writeHead(500, { 'Content-Type': MIME.text });
            res.end(`otlp-receiver internal error: ${String(err)}`);
          }
        });
      });
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
  }

  server = await listen(opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  async function stop(): Promise<void> {
    const s = server;
    if (!s) return;
    server = null;
    await new Promise<void>((resolve, reject) => {
      s.close((err) => (err ? reject(err) : resolve()));
      s.closeAllConnections();
    });
    // The FIN of each closed keep-alive connection is already queued at the client, but the
    // client's http.Agent (same process) needs a few event-loop turns to read it and drop the
    // socket from its free list; otherwise the next export reuses the dead socket and fails
    // with ECONNRESET instead of ECONNREFUSED. Let those turns happen before resolving.
    await new Promise((r) => setTimeout(r, 20));
  }

  return {
    url: `http://${urlHost}:${port}`,
    port,
    logs,
    points,
    spans,
    requests,
    failWith(status, headers = {}, signals) {
      failure = status === null ? null : { status, headers, signals };
    },
    slowDown(ms) {
      answerAfterMs = ms;
      if (ms === null) for (const release of [...held]) release();
    },
    stop,
    async restart() {
      if (closed) throw new Error('otlp-receiver: restart() after close()');
      if (server) return;
      server = await listen(port);
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return pollUntil('otlp-receiver', predicate, timeoutMs, () => {
        const statuses = new Map<number, number>();
        for (const r of requests) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const lastRejected = [...requests].reverse().find((r) => r.error !== undefined);
        return [
          `received logs=${logs.length} points=${points.length} spans=${spans.length} requests=${requests.length}` +
            (statuses.size ? ` (status ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')})` : ''),
          `points: ${[...new Set(points.map((p) => p.name))].join(', ') || '-'}`,
          ...(lastRejected ? [`last rejected request: ${lastRejected.signal} ${lastRejected.status} ${lastRejected.error}`] : []),
        ];
      });
    },
    clear() {
      logs.length = 0;
      points.length = 0;
      spans.length = 0;
      requests.length = 0;
    },
    async close() {
      closed = true;
      failure = null;
      answerAfterMs = null;
      for (const release of [...held]) release();
      await stop();
    },
  };
}
