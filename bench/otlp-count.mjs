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

/** Calls `onField(field, start, end)` for each length-delimited field of buf[start, end). */
function eachLen(buf, start, end, onField) {
  const pos = { i: start };
  while (pos.i < end) {
    const tag = varint(buf, pos);
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        varint(buf, pos);
        break;
      case 1:
        pos.i += 8;
        break;
      case 2: {
        const len = varint(buf, pos);
        if (pos.i + len > end) throw new Error('length past the end of the message');
        onField(field, pos.i, pos.i + len);
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
}

/** Log records in a protobuf ExportLogsServiceRequest, or spans in an ExportTraceServiceRequest. */
export function countProtobuf(buf) {
  let count = 0;
  eachLen(buf, 0, buf.length, (f1, s1, e1) => {
    if (f1 !== 1) return;
    eachLen(buf, s1, e1, (f2, s2, e2) => {
      if (f2 !== 2) return;
      eachLen(buf, s2, e2, (f3) => {
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
