// Counting OTLP export requests without decoding them.
//
// The three OTLP export requests share one shape up to the record:
//   Export*ServiceRequest { repeated Resource* resource_* = 1 }
//   Resource*             { repeated Scope* scope_* = 2 }
//   Scope*                { repeated LogRecord|Span|Metric * = 2 }
// and a Metric holds its points in gauge=5 / sum=7 / histogram=9 / exponential_histogram=10 /
// summary=11, each { repeated *DataPoint data_points = 1 }. Walking the protobuf wire format
// along that path counts every log record, span and data point exactly, touching only tags
// and lengths: a full decode (protobufjs) costs the receiver far more CPU, and the receiver
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

const METRIC_DATA_FIELDS = new Set([5, 7, 9, 10, 11]);

/** Records in a protobuf Export{Logs,Trace,Metrics}ServiceRequest. */
export function countProtobuf(signal, buf) {
  let count = 0;
  eachLen(buf, 0, buf.length, (f1, s1, e1) => {
    if (f1 !== 1) return;
    eachLen(buf, s1, e1, (f2, s2, e2) => {
      if (f2 !== 2) return;
      eachLen(buf, s2, e2, (f3, s3, e3) => {
        if (f3 !== 2) return;
        if (signal !== 'metrics') {
          count += 1;
          return;
        }
        eachLen(buf, s3, e3, (f4, s4, e4) => {
          if (!METRIC_DATA_FIELDS.has(f4)) return;
          eachLen(buf, s4, e4, (f5) => {
            if (f5 === 1) count += 1;
          });
        });
      });
    });
  });
  return count;
}

/** Records in an OTLP/JSON export request (already parsed). */
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
