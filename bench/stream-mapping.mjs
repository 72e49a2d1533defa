// `node --expose-gc bench/stream-mapping.mjs [--quick]` (npm run build first): the CPU cost of
// turning Mist stream statistics into metrics, per message, in one process and without sockets,
// on the built code, and the heap an organisation's devices and clients hold.
//
// The organisation (stream-org.mjs): 5,000 APs, 500 switches, 100 gateways on 250 sites, and
// 50,000 wireless clients; a device round every 25 s, a client round every 60 s. Messages are
// generated as the JSON text of a frame's `data`, with counters and uptimes moving between
// rounds, so every round updates existing series.
//
// Stages, per message: parse (JSON.parse of `data`, the connection side's work) → map (the
// mapping engine, mappings/stream-*.yaml) → record (the signals: SubjectMetrics, EventTimeGauges),
// each message through all of them before the next, as the stream delivers them.
// Collections every 60 s, as the export loop does (the last one also encoded as OTLP protobuf by
// the SDK's serializer and by the bridge's, src/export/metrics-serializer.ts). Warm-up minutes first; then each stage's CPU (the
// time of the process, user+system) averaged over the measured minutes.
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { MetricsRequestSerializer } from '../dist/src/export/metrics-serializer.js';
import { loadMappings } from '../dist/src/mapping/loader.js';
import { createMetricRecorder, EventTimeGauges, MAX_SERIES } from '../dist/src/signals/metrics.js';
import { DrivenMetricReader } from '../dist/src/signals/providers.js';
import { SubjectMetrics } from '../dist/src/signals/subject-metrics.js';
import { createOrg, ORG_ID, scaledOrg } from './stream-org.mjs';

const quick = process.argv.includes('--quick');
const org = createOrg(scaledOrg(quick ? 0.1 : 1));
const { aps: APS, switches: SWITCHES, gateways: GATEWAYS, clients: CLIENTS, sites: SITES } = org.sizes;
const WARMUP = quick ? 1 : 2;
const ROUNDS = quick ? 2 : 4;
const ORG = ORG_ID;

/** One round of messages: [kind, site, data text]. */
function deviceRound(round, t) {
  const out = [];
  for (let j = 0; j < org.devicesPerRound; j++) {
    const [kind, site, doc] = org.deviceMessage(j, t, round);
    out.push([kind, site, JSON.stringify(doc)]);
  }
  return out;
}

function clientRound(round, t) {
  const out = [];
  for (let i = 0; i < CLIENTS; i++) {
    const [kind, site, doc] = org.clientMessage(i, t, round);
    out.push([kind, site, JSON.stringify(doc)]);
  }
  return out;
}

const S = 1_000_000_000n;
let now = BigInt(Date.now()) * 1_000_000n;
const clock = () => now;
const mappings = loadMappings();
const mapOnly = loadMappings();
const subjects = new SubjectMetrics({ now: clock });
const gauges = new EventTimeGauges(clock);
const reader = new DrivenMetricReader({ metricProducers: [gauges, subjects], cardinalitySelector: () => MAX_SERIES });
const provider = new MeterProvider({ readers: [reader] });
const recorder = createMetricRecorder(provider.getMeter('bench'), mappings.metrics, gauges, subjects);
const contexts = new Map();
const contextOf = (site) => {
  let c = contexts.get(site);
  if (!c) contexts.set(site, (c = { site_id: site, org_id: ORG }));
  return c;
};

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * Runs one round into `acc`, message by message as the stream delivers them (each document dies
 * young, as it would). Three passes over the round: parse; parse and map (by a second engine of
 * its own, in the same state as the first); parse, map and record. A stage's CPU is the difference
 * between the passes.
 */
function run(messages, acc) {
  let t0 = cpu();
  for (const [, , data] of messages) JSON.parse(data);
  const parse = cpu() - t0;
  t0 = cpu();
  for (const [kind, site, data] of messages) mapOnly.engine.map('stream', kind, JSON.parse(data), now, contextOf(site));
  const parseMap = cpu() - t0;
  let points = 0;
  t0 = cpu();
  for (const [kind, site, data] of messages) {
    const mapped = mappings.engine.map('stream', kind, JSON.parse(data), now, contextOf(site));
    recorder.record(mapped.metrics);
    points += mapped.metrics.length;
  }
  const all = cpu() - t0;
  acc.parse += parse;
  acc.map += Math.max(0, parseMap - parse);
  acc.record += Math.max(0, all - parseMap);
  acc.points += points;
  for (const m of messages) acc.bytes += m[2].length;
  acc.messages += messages.length;
}

/** One collection, as the export loop does each interval; optionally encoded as the OTLP exporter would. */
async function collect(acc, encode = false) {
  const t0 = cpu();
  const { resourceMetrics } = await reader.collect();
  acc.collect += cpu() - t0;
  acc.collections += 1;
  acc.exported += resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.reduce((m, d) => m + d.dataPoints.length, 0), 0);
  if (encode) {
    const t1 = cpu();
    acc.encodedBytes = ProtobufMetricsSerializer.serializeRequest(resourceMetrics).length;
    acc.encode = cpu() - t1;
    const t2 = cpu();
    new MetricsRequestSerializer().serializeRequest(resourceMetrics);
    acc.encodeBridge = cpu() - t2;
  }
}

const empty = () => ({ parse: 0, map: 0, record: 0, points: 0, bytes: 0, messages: 0 });
const devices = empty();
const clients = empty();
const collections = { collect: 0, collections: 0, exported: 0, encode: 0, encodeBridge: 0, encodedBytes: 0 };
// What the state holds: V8's heap and the array buffers outside it (SeriesTable's typed columns).
const held = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
};
globalThis.gc?.();
const heapBefore = held();

// The stream's timeline: device rounds every 25 s, client rounds and collections every 60 s.
const DEVICE_EVERY = 25;
const CLIENT_EVERY = 60;
const COLLECT_EVERY = 60;
const END = (WARMUP + ROUNDS) * CLIENT_EVERY;
const MEASURE_FROM = WARMUP * CLIENT_EVERY;
const start = Math.floor(Number(now / S));
let peakRss = 0;
for (let second = 0, deviceRound_ = 0, clientRound_ = 0; second < END; second += 5) {
  now = BigInt(start + second) * S;
  const measured = second >= MEASURE_FROM;
  const scratch = empty();
  if (second % DEVICE_EVERY === 0) run(deviceRound(deviceRound_++, start + second), measured ? devices : scratch);
  if (second % CLIENT_EVERY === 0) run(clientRound(clientRound_++, start + second), measured ? clients : scratch);
  if (second > 0 && second % COLLECT_EVERY === 0) await collect(measured ? collections : { ...collections }, second + COLLECT_EVERY >= END);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}

const row = (label, a) => {
  const total = (a.parse + a.map + a.record) / a.messages;
  return {
    messages: label,
    measured: a.messages,
    'bytes/msg': (a.bytes / a.messages).toFixed(0),
    'points/msg': (a.points / a.messages).toFixed(1),
    'parse µs': (a.parse / a.messages).toFixed(2),
    'map µs': (a.map / a.messages).toFixed(2),
    'record µs': (a.record / a.messages).toFixed(2),
    'total µs': total.toFixed(2),
    'msgs/s on one core': Math.round(1e6 / total),
    'map+record msgs/s': Math.round(1e6 / ((a.map + a.record) / a.messages)),
  };
};
console.table([row('devices', devices), row('clients', clients)]);

globalThis.gc?.();
const heapAfter = held();
const sizes = subjects.size;
console.table([
  {
    'collect ms': (collections.collect / collections.collections / 1000).toFixed(1),
    'points/collection': Math.round(collections.exported / collections.collections),
    'encode ms (SDK protobuf)': (collections.encode / 1000).toFixed(1),
    'encode ms (bridge)': (collections.encodeBridge / 1000).toFixed(1),
    'OTLP MiB': (collections.encodedBytes / 2 ** 20).toFixed(1),
    'series held': sizes.series,
    'clients held': sizes.subjects,
    'heap held MiB': ((heapAfter.heap - heapBefore.heap) / 2 ** 20).toFixed(1),
    'buffers held MiB': ((heapAfter.buffers - heapBefore.buffers) / 2 ** 20).toFixed(1),
    'heap total MiB': (heapAfter.heap / 2 ** 20).toFixed(1),
    'peak rss MiB': (peakRss / 2 ** 20).toFixed(0),
  },
]);
console.log(
  `${APS} APs, ${SWITCHES} switches, ${GATEWAYS} gateways, ${CLIENTS} clients on ${SITES} sites; ${ROUNDS} simulated minutes measured after ${WARMUP} warm-up` +
    (globalThis.gc ? '' : ' (run with --expose-gc for steady heap figures)'),
);
await provider.shutdown();
