// The OTLP/HTTP backend of the benchmark, run as its own process (child_process.fork) so its
// work does not share the bridge's event loop. It counts every log record, span and metric
// data point it is sent (protobuf by walking the wire format, JSON by parsing), can be told
// to answer 503 (a backend outage) or to refuse bodies over a size as the OpenTelemetry
// Collector does, and reports its counts and its own CPU time over IPC.
//
// Metric exports are walked point by point: for every monotonic sum and histogram the receiver
// keeps each series' total (the latest value of a cumulative series, the sum of a delta series'
// points) and reports the total per metric name (of the scope of mapped telemetry, not the
// bridge's self-telemetry). Counters that count events are how events mapped to metrics only
// (location updates) are checked for loss. The last collection of mapped telemetry is also kept
// as a digest (CollectionDigest) for the stream scenario's checks.
//
// The wire-format walks are cross-checked against a full protobufjs decode (the schema the
// test receiver uses, test/support/otlp.proto) on the first requests of each signal and
// then on one request in VERIFY_EVERY; any disagreement is reported as a mismatch and fails
// the run.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { countJson, countProtobuf, metricPointsOf, walkMetrics } from './otlp-count.mjs';

const VERIFY_FIRST = 20;
const VERIFY_EVERY = 200;
// Larger requests (a large organisation's stream collections) are walked only: protobufjs would
// take seconds and hundreds of MiB of this process for each.
const VERIFY_MAX_BYTES = 4 * 2 ** 20;

const root = protobuf.loadSync(fileURLToPath(new URL('../test/support/otlp.proto', import.meta.url)));
const requestTypes = {
  logs: root.lookupType('otlp.ExportLogsServiceRequest'),
  metrics: root.lookupType('otlp.ExportMetricsServiceRequest'),
  traces: root.lookupType('otlp.ExportTraceServiceRequest'),
};

function decode(signal, buf, longs = Number) {
  return requestTypes[signal].toObject(requestTypes[signal].decode(buf), { defaults: false, longs, enums: Number });
}

const SIGNALS = { '/v1/logs': 'logs', '/v1/metrics': 'metrics', '/v1/traces': 'traces' };

let failStatus = 0;
// 0, or the largest body taken: the OpenTelemetry Collector's OTLP/HTTP receiver refuses a larger
// one (confighttp's max_request_body_size, 20 MiB by default, measured after decompression) with
// 400, which the bridge takes for a malformed request.
let maxBodyBytes = 0;
const stats = {
  logs: 0,
  traces: 0,
  metrics: 0,
  requests: 0,
  refused: 0,
  tooLarge: 0,
  bad: 0,
  verified: 0,
  mismatches: 0,
  bytes: 0,
  lastExportAt: 0,
};
const seen = { logs: 0, traces: 0, metrics: 0 };

// series key → running total
const seriesTotals = new Map();
let metricExports = 0;

const CUMULATIVE = 2;
const MAPPED_SCOPE = 'mist-otel-bridge';

/** A series' identity: metric, start time and attributes (in a fixed order). */
function seriesKey(point) {
  const attrs = Object.keys(point.attributes)
    .sort()
    .map((k) => `${k}=${point.attributes[k]}`)
    .join('\u0001');
  return `${point.name}\u0000${point.start}\u0000${attrs}`;
}

/** Counting metrics (monotonic sums and histograms' counts): each series' total. */
function addTotals(point) {
  if (!(point.kind === 'sum' && point.monotonic) && point.kind !== 'histogram') return;
  const key = seriesKey(point);
  const before = seriesTotals.get(key);
  const total = point.temporality === CUMULATIVE ? point.value : (before?.total ?? 0) + point.value;
  seriesTotals.set(key, { name: point.name, total });
}

function metricTotals() {
  const out = {};
  for (const { name, total } of seriesTotals.values()) out[name] = (out[name] ?? 0) + total;
  return out;
}

/**
 * What one metric export (one collection) of mapped telemetry held, for the stream scenario's
 * checks (bench/stream.mjs): points and overflow points per metric; per metric and device type,
 * how many devices had how many points; each device's identity as its points carry it; the
 * client aggregates' values per site, SSID and band (for a cumulative histogram, what this
 * collection added to its count). Kept for the last export with mapped points.
 */
class CollectionDigest {
  constructor(bytes, previous) {
    this.at = Date.now();
    this.bytes = bytes;
    // The collection before (complete by then): what a cumulative histogram added is told against it.
    this.previous = previous;
    // A cumulative histogram's last point per series ('metric|key' → { start, value }), so the
    // next collection can tell what it added.
    this.histograms = new Map();
    this.points = 0;
    this.metrics = {};
    this.perDevice = new Map(); // metric → mac → points
    this.devices = new Map(); // mac → identity
    this.identityConflicts = 0;
    this.clients = {}; // metric → 'site|ssid|band' → value (gauges) or count (histograms)
  }
  add(point) {
    const a = point.attributes;
    this.points += 1;
    const m = (this.metrics[point.name] ??= { kind: point.kind, points: 0, overflow: 0 });
    if (a['otel.metric.overflow'] === true) {
      m.overflow += 1;
      return;
    }
    m.points += 1;
    const mac = a['mist.device_mac'];
    if (mac !== undefined) {
      let byMac = this.perDevice.get(point.name);
      if (!byMac) this.perDevice.set(point.name, (byMac = new Map()));
      byMac.set(mac, (byMac.get(mac) ?? 0) + 1);
      const identity = `${a['mist.device_type'] ?? ''}|${a['mist.site_id'] ?? ''}|${a['mist.device_name'] ?? ''}|${a['mist.org_id'] ?? ''}`;
      const known = this.devices.get(mac);
      if (known === undefined) this.devices.set(mac, identity);
      else if (known !== identity) this.identityConflicts += 1;
    } else if (a['mist.ssid'] !== undefined || a['mist.band'] !== undefined) {
      const key = `${a['mist.site_id'] ?? ''}|${a['mist.ssid'] ?? ''}|${a['mist.band'] ?? ''}${a['network.io.direction'] ? `|${a['network.io.direction']}` : ''}`;
      let value = point.value;
      if (point.kind === 'histogram' && point.temporality === CUMULATIVE) {
        // What this collection added: each client's latest report is counted at every collection.
        const series = `${point.name}|${key}`;
        const before = this.previous?.histograms.get(series);
        this.histograms.set(series, { start: point.start, value });
        if (before !== undefined && before.start === point.start) value -= before.value;
      }
      (this.clients[point.name] ??= {})[key] = value;
    }
  }
  toJSON() {
    // Per metric and device type: { points per device: devices }.
    const byType = {};
    for (const [metric, byMac] of this.perDevice) {
      const out = (byType[metric] = {});
      for (const [mac, n] of byMac) {
        const type = this.devices.get(mac).split('|')[0];
        const hist = (out[type] ??= {});
        hist[n] = (hist[n] ?? 0) + 1;
      }
    }
    return {
      at: this.at,
      bytes: this.bytes,
      points: this.points,
      metrics: this.metrics,
      byType,
      devices: Object.fromEntries(this.devices),
      identityConflicts: this.identityConflicts,
      clients: this.clients,
    };
  }
}

let lastCollection;
/** The collection whose requests are still arriving. */
let filling;
let lastMappedAt = 0;
let lastRequestPoints = 0;
// The bridge's default export.maxMetricPointsPerRequest; the requests of one collection follow each other closely.
const CHUNK_POINTS = 10_000;
const CHUNK_GAP_MS = 10_000;
const collections = { count: 0, points: 0, lastBytes: 0, lastPoints: 0 };

function handleMetrics(contentType, body) {
  const points = [];
  if (contentType.includes('json')) metricPointsOf(JSON.parse(body.toString('utf8')), (p) => points.push(p));
  else {
    walkMetrics(body, (p) => points.push(p));
    seen.metrics += 1;
    // The walk is checked against protobufjs's full decode, as the log and span counts are, on
    // requests small enough to decode in passing.
    if (body.length <= VERIFY_MAX_BYTES && (seen.metrics <= VERIFY_FIRST || seen.metrics % VERIFY_EVERY === 0)) {
      stats.verified += 1;
      const decoded = [];
      metricPointsOf(decode('metrics', body, String), (p) => decoded.push(p));
      if (!samePoints(points, decoded)) stats.mismatches += 1;
    }
  }
  metricExports += 1;
  // The bridge sends a large collection as several requests, back to back, every one but the
  // last holding exactly export.maxMetricPointsPerRequest points: a request after such a full one
  // continues its collection.
  const now = Date.now();
  const continues = filling !== undefined && lastRequestPoints === CHUNK_POINTS && now - lastMappedAt < CHUNK_GAP_MS;
  lastRequestPoints = points.length;
  let digest = continues ? filling : undefined;
  for (const p of points) {
    if (p.scope !== MAPPED_SCOPE) continue;
    addTotals(p);
    if (digest === undefined) {
      // The one before is complete: it needs its own predecessor no longer.
      if (lastCollection) lastCollection.previous = undefined;
      digest = new CollectionDigest(0, lastCollection);
    }
    digest.add(p);
  }
  if (digest) {
    lastMappedAt = now;
    digest.bytes += body.length;
    filling = digest;
  }
  // Its last request (one not full) completes a collection: only then is it reported.
  if (filling !== undefined && points.length !== CHUNK_POINTS) {
    lastCollection = filling;
    filling = undefined;
    collections.count += 1;
    collections.points += lastCollection.points;
    collections.lastBytes = lastCollection.bytes;
    collections.lastPoints = lastCollection.points;
  }
  return points.length;
}

function samePoints(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.name !== y.name || x.kind !== y.kind || x.value !== y.value || x.start !== y.start || x.time !== y.time || seriesKey(x) !== seriesKey(y))
      return false;
  }
  return true;
}

function handle(signal, contentType, body) {
  if (signal === 'metrics') return handleMetrics(contentType, body);
  if (contentType.includes('json')) return countJson(signal, JSON.parse(body.toString('utf8')));
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
    // An empty ExportServiceResponse is a full success in both encodings.
    const ok = () => {
      if (contentType.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    };
    try {
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (maxBodyBytes > 0 && body.length > maxBodyBytes) {
        stats.tooLarge += 1;
        res.writeHead(400, { 'content-type': 'text/plain' }).end('http: request body too large');
        return;
      }
      // A metric export is answered before it is walked, so the bridge's export time is its own
      // even for a collection of a large organisation; the walk finishes before any IPC question
      // is answered (same turn of the event loop), and a request it cannot read still fails the run.
      if (signal === 'metrics') ok();
      stats[signal] += handle(signal, contentType, body);
    } catch (err) {
      stats.bad += 1;
      process.stderr.write(`receiver: undecodable ${signal} export: ${err.message}\n`);
      if (!res.headersSent) res.writeHead(400).end();
      return;
    }
    stats.lastExportAt = Date.now();
    if (signal !== 'metrics') ok();
  });
});
server.keepAliveTimeout = 30_000;

process.on('message', (msg) => {
  if (msg.type === 'fail') failStatus = msg.status;
  else if (msg.type === 'limit') maxBodyBytes = msg.bytes;
  else if (msg.type === 'collection') process.send({ type: 'collection', id: msg.id, collection: lastCollection?.toJSON() });
  else if (msg.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send({
      type: 'stats',
      id: msg.id,
      stats: {
        ...stats,
        metricExports,
        collections: { ...collections, lastAt: lastCollection?.at ?? 0 },
        metricTotals: metricTotals(),
        cpuMs: (cpu.user + cpu.system) / 1000,
      },
    });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
