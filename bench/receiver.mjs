// The OTLP/HTTP backend of the benchmark, run as its own process (child_process.fork) so its
// work does not share the bridge's event loop. It counts every log record, span and metric
// data point it is sent (protobuf by walking the wire format, JSON by parsing), can be told
// to answer 503 (a backend outage), and reports its counts and its own CPU time over IPC.
//
// Metric exports are rare (the bridge's interval, and its final flush), so they are decoded in
// full: for every monotonic sum and histogram the receiver keeps each series' total (the
// latest value of a cumulative series, the sum of a delta series' points) and reports the
// total per metric name (of the scope of mapped telemetry, not the bridge's self-telemetry).
// Counters that count events are how events mapped to metrics only
// (location updates) are checked for loss.
//
// The wire-format count is cross-checked against a full protobufjs decode (the schema the
// test receiver uses, test/support/otlp.proto) on the first requests of each signal and
// then on one request in VERIFY_EVERY; any disagreement is reported as a mismatch and fails
// the run.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { countJson, countProtobuf } from './otlp-count.mjs';

const VERIFY_FIRST = 20;
const VERIFY_EVERY = 200;

const root = protobuf.loadSync(fileURLToPath(new URL('../test/support/otlp.proto', import.meta.url)));
const requestTypes = {
  logs: root.lookupType('otlp.ExportLogsServiceRequest'),
  metrics: root.lookupType('otlp.ExportMetricsServiceRequest'),
  traces: root.lookupType('otlp.ExportTraceServiceRequest'),
};

function decode(signal, buf) {
  return requestTypes[signal].toObject(requestTypes[signal].decode(buf), { defaults: false, longs: Number, enums: Number });
}

const SIGNALS = { '/v1/logs': 'logs', '/v1/metrics': 'metrics', '/v1/traces': 'traces' };

let failStatus = 0;
const stats = {
  logs: 0,
  traces: 0,
  metrics: 0,
  requests: 0,
  refused: 0,
  bad: 0,
  verified: 0,
  mismatches: 0,
  bytes: 0,
  lastExportAt: 0,
};
const seen = { logs: 0, traces: 0, metrics: 0 };

// series key → running total; name → series keys
const seriesTotals = new Map();
let metricExports = 0;

const CUMULATIVE = 2;
const MAPPED_SCOPE = 'mist-otel-bridge';

function addPoint(name, temporality, point, value) {
  const key = `${name}\u0000${point.startTimeUnixNano ?? ''}\u0000${JSON.stringify(point.attributes ?? [])}`;
  const before = seriesTotals.get(key);
  const total = temporality === CUMULATIVE ? value : (before?.total ?? 0) + value;
  seriesTotals.set(key, { name, total });
}

function recordMetrics(doc) {
  metricExports += 1;
  for (const r of doc.resourceMetrics ?? []) {
    for (const s of r.scopeMetrics ?? []) {
      // Only telemetry mapped from Mist events: the bridge's own (export durations, ...) is not.
      if (s.scope?.name !== MAPPED_SCOPE) continue;
      for (const m of s.metrics ?? []) {
        if (m.sum?.isMonotonic) {
          for (const p of m.sum.dataPoints ?? []) addPoint(m.name, m.sum.aggregationTemporality, p, Number(p.asInt ?? p.asDouble ?? 0));
        } else if (m.histogram) {
          for (const p of m.histogram.dataPoints ?? []) addPoint(m.name, m.histogram.aggregationTemporality, p, Number(p.count ?? 0));
        }
      }
    }
  }
}

function metricTotals() {
  const out = {};
  for (const { name, total } of seriesTotals.values()) out[name] = (out[name] ?? 0) + total;
  return out;
}

function handle(signal, contentType, body) {
  if (contentType.includes('json')) {
    const doc = JSON.parse(body.toString('utf8'));
    if (signal === 'metrics') recordMetrics(doc);
    return countJson(signal, doc);
  }
  if (signal === 'metrics') {
    const doc = decode(signal, body);
    recordMetrics(doc);
    return countJson(signal, doc);
  }
  const n = countProtobuf(body);
  seen[signal] += 1;
  if (seen[signal] <= VERIFY_FIRST || seen[signal] % VERIFY_EVERY === 0) {
    stats.verified += 1;
    if (countJson(signal, decode(signal, body)) !== n) stats.mismatches += 1;
  }
  return n;
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    stats.requests += 1;
    const signal = SIGNALS[req.url ?? ''];
    if (req.method !== 'POST' || !signal) {
      res.writeHead(404).end();
      return;
    }
    if (failStatus) {
      stats.refused += 1;
      res.writeHead(failStatus, { 'retry-after': '1' }).end();
      return;
    }
    let body = Buffer.concat(chunks);
    stats.bytes += body.length;
    const contentType = req.headers['content-type'] ?? '';
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      stats[signal] += handle(signal, contentType, body);
    } catch (err) {
      stats.bad += 1;
      process.stderr.write(`receiver: undecodable ${signal} export: ${err.message}\n`);
      res.writeHead(400).end();
      return;
    }
    stats.lastExportAt = Date.now();
    // An empty ExportServiceResponse is a full success in both encodings.
    if (contentType.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.keepAliveTimeout = 30_000;

process.on('message', (msg) => {
  if (msg.type === 'fail') failStatus = msg.status;
  else if (msg.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send({
      type: 'stats',
      id: msg.id,
      stats: { ...stats, metricExports, metricTotals: metricTotals(), cpuMs: (cpu.user + cpu.system) / 1000 },
    });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
