// Counting OTLP export requests without decoding them.
//
// The three OTLP export requests share one shape up to the record:
//   Export*ServiceRequest { repeated Resource* resource_* = 1 }
//   Resource*             { repeated Scope* scope_* = 2 }
//   Scope*                { repeated LogRecord|Span|Metric * = 2 }
// Walking the protobuf wire format along that path counts every log record and span exactly,
// touching only tags and lengths: a full decode (protobufjs) costs the receiver far more CPU, and the receiver
// shares the machine with the bridge under test. receiver.mjs cross-checks this count against
// protobufjs on a sample of requests.

/** An int64 varint exactly: a negative number is its two's complement over 64 bits, past a double's precision. */
function int64Varint(buf, pos) {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    const b = buf[pos.i++];
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return Number(BigInt.asIntN(64, value));
    shift += 7n;
  }
}

function varint(buf, pos) {
  let value = 0;
  let shift = 1;
  for (;;) {
    if (pos.i >= buf.length) throw new Error('truncated varint');
    const b = buf[pos.i++];
    value += (b & 0x7f) * shift;
    if (b < 0x80) return value;
    shift *= 128;
  }
}

/**
 * Walks the fields of the message buf[start, end): calls `onLen(field, start, end)` for each
 * length-delimited one, and returns { field: value } of the varint ones and { field: position }
 * of the 64-bit ones (the last of each field).
 */
function eachField(buf, start, end, onLen) {
  const scalars = {};
  const pos = { i: start };
  while (pos.i < end) {
    const tag = varint(buf, pos);
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        scalars[field] = varint(buf, pos);
        break;
      case 1:
        scalars[field] = pos.i;
        pos.i += 8;
        break;
      case 2: {
        const len = varint(buf, pos);
        if (pos.i + len > end) throw new Error('length past the end of the message');
        onLen(field, pos.i, pos.i + len);
        pos.i += len;
        break;
      }
      case 5:
        pos.i += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${tag & 7}`);
    }
  }
  if (pos.i !== end) throw new Error('message overran its length');
  return scalars;
}

/** Log records in a protobuf ExportLogsServiceRequest, or spans in an ExportTraceServiceRequest. */
export function countProtobuf(buf) {
  let count = 0;
  eachField(buf, 0, buf.length, (f1, s1, e1) => {
    if (f1 !== 1) return;
    eachField(buf, s1, e1, (f2, s2, e2) => {
      if (f2 !== 2) return;
      eachField(buf, s2, e2, (f3) => {
        if (f3 === 2) count += 1;
      });
    });
  });
  return count;
}

/** Records (log records, spans, metric data points) in a decoded OTLP export request. */
export function countJson(signal, doc) {
  let count = 0;
  const [resourceKey, scopeKey, recordKey] =
    signal === 'logs'
      ? ['resourceLogs', 'scopeLogs', 'logRecords']
      : signal === 'traces'
        ? ['resourceSpans', 'scopeSpans', 'spans']
        : ['resourceMetrics', 'scopeMetrics', 'metrics'];
  for (const r of doc[resourceKey] ?? []) {
    for (const s of r[scopeKey] ?? []) {
      for (const rec of s[recordKey] ?? []) {
        if (signal !== 'metrics') count += 1;
        else {
          const data = rec.gauge ?? rec.sum ?? rec.histogram ?? rec.exponentialHistogram ?? rec.summary;
          count += data?.dataPoints?.length ?? 0;
        }
      }
    }
  }
  return count;
}

// ------------------------------------------------------------------ metric data points

const METRIC_KINDS = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponentialHistogram', 11: 'summary' };

function fixed64(buf, i) {
  if (i + 8 > buf.length) throw new Error('truncated fixed64');
  return buf.readBigUInt64LE(i);
}

/** A KeyValue's value (AnyValue): strings, booleans and numbers as such, anything else marked. */
function anyValue(buf, start, end) {
  let value = '';
  const pos = { i: start };
  while (pos.i < end) {
    const tag = varint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2 && wire === 0) value = varint(buf, pos) !== 0;
    else if (field === 3 && wire === 0) value = int64Varint(buf, pos);
    else if (field === 4 && wire === 1) {
      value = buf.readDoubleLE(pos.i);
      pos.i += 8;
    } else if (wire === 2) {
      const len = varint(buf, pos);
      value = field === 1 ? buf.toString('utf8', pos.i, pos.i + len) : `[${field === 5 ? 'array' : field === 6 ? 'kvlist' : 'bytes'}]`;
      pos.i += len;
    } else throw new Error(`unexpected AnyValue field ${field} (wire type ${wire})`);
  }
  return value;
}

function keyValue(buf, start, end, into) {
  let key = '';
  let value = '';
  eachField(buf, start, end, (f, s, e) => {
    if (f === 1) key = buf.toString('utf8', s, e);
    else if (f === 2) value = anyValue(buf, s, e);
  });
  into[key] = value;
}

/**
 * Every data point of a protobuf ExportMetricsServiceRequest, walked on the wire format (a full
 * decode of a collection of a large organisation's stream statistics, ~40 MiB, takes protobufjs
 * seconds and half a gigabyte). `visit(point)` gets { scope, name, kind, temporality, monotonic,
 * attributes, start, time, value } (start and time as decimal strings of nanoseconds; value the
 * number, or a histogram's count).
 */
export function walkMetrics(buf, visit) {
  eachField(buf, 0, buf.length, (f1, s1, e1) => {
    if (f1 !== 1) return;
    eachField(buf, s1, e1, (f2, s2, e2) => {
      if (f2 !== 2) return;
      let scope = '';
      eachField(buf, s2, e2, (f3, s3, e3) => {
        if (f3 === 1) {
          eachField(buf, s3, e3, (f, s, e) => {
            if (f === 1) scope = buf.toString('utf8', s, e);
          });
          return;
        }
        if (f3 !== 2) return;
        let name = '';
        eachField(buf, s3, e3, (f4, s4, e4) => {
          if (f4 === 1) name = buf.toString('utf8', s4, e4);
          const kind = METRIC_KINDS[f4];
          if (!kind) return;
          // The data's own fields: points (1), temporality (2), monotonic (3); points are visited
          // after the scalars are known, so they are collected first.
          const pointRanges = [];
          const data = eachField(buf, s4, e4, (f, s, e) => {
            if (f === 1) pointRanges.push(s, e);
          });
          for (let k = 0; k < pointRanges.length; k += 2) {
            const attributes = {};
            const attrField = kind === 'histogram' ? 9 : kind === 'exponentialHistogram' ? 1 : kind === 'summary' ? 7 : 7;
            const p = eachField(buf, pointRanges[k], pointRanges[k + 1], (f, s, e) => {
              if (f === attrField) keyValue(buf, s, e, attributes);
            });
            let value;
            if (kind === 'gauge' || kind === 'sum')
              value = p[4] !== undefined ? buf.readDoubleLE(p[4]) : p[6] !== undefined ? Number(buf.readBigInt64LE(p[6])) : 0;
            else value = p[4] !== undefined ? Number(fixed64(buf, p[4])) : 0;
            visit({
              scope,
              name,
              kind,
              temporality: data[2] ?? 0,
              monotonic: data[3] === 1,
              attributes,
              start: p[2] !== undefined ? String(fixed64(buf, p[2])) : '',
              time: p[3] !== undefined ? String(fixed64(buf, p[3])) : '',
              value,
            });
          }
        });
      });
    });
  });
}

/** The same points from a decoded request (OTLP/JSON, or protobufjs's toObject). */
export function metricPointsOf(doc, visit) {
  const scalar = (v) =>
    v?.stringValue ??
    v?.boolValue ??
    (v?.intValue !== undefined
      ? Number(v.intValue)
      : v?.doubleValue !== undefined
        ? Number(v.doubleValue)
        : v?.arrayValue
          ? '[array]'
          : v?.kvlistValue
            ? '[kvlist]'
            : v?.bytesValue !== undefined
              ? '[bytes]'
              : '');
  for (const r of doc.resourceMetrics ?? []) {
    for (const s of r.scopeMetrics ?? []) {
      for (const m of s.metrics ?? []) {
        const kind = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].find((k) => m[k]);
        if (!kind) continue;
        const data = m[kind];
        for (const p of data.dataPoints ?? []) {
          const attributes = {};
          for (const a of p.attributes ?? []) attributes[a.key] = scalar(a.value);
          const value = kind === 'gauge' || kind === 'sum' ? Number(p.asDouble ?? p.asInt ?? 0) : Number(p.count ?? 0);
          visit({
            scope: s.scope?.name ?? '',
            name: m.name,
            kind,
            temporality: Number(data.aggregationTemporality ?? 0),
            monotonic: data.isMonotonic === true,
            attributes,
            start: p.startTimeUnixNano !== undefined ? String(p.startTimeUnixNano) : '',
            time: p.timeUnixNano !== undefined ? String(p.timeUnixNano) : '',
            value,
          });
        }
      }
    }
  }
}
