// The OTLP/HTTP backend of the benchmark, run as its own process (child_process.fork) so its
// work does not share the bridge's event loop. It counts every log record, span and metric
// data point it is sent (protobuf by walking the wire format, JSON by parsing), can be told
// to answer 503 (a backend outage), and reports its counts and its own CPU time over IPC.
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

function countDecoded(signal, buf) {
  const doc = requestTypes[signal].toObject(requestTypes[signal].decode(buf), { defaults: false });
  return countJson(signal, doc);
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

function handle(signal, contentType, body) {
  if (contentType.includes('json')) return countJson(signal, JSON.parse(body.toString('utf8')));
  const n = countProtobuf(signal, body);
  seen[signal] += 1;
  if (seen[signal] <= VERIFY_FIRST || seen[signal] % VERIFY_EVERY === 0) {
    stats.verified += 1;
    if (countDecoded(signal, body) !== n) stats.mismatches += 1;
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
    process.send({ type: 'stats', id: msg.id, stats: { ...stats, cpuMs: (cpu.user + cpu.system) / 1000 } });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
