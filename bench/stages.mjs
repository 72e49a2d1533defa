// `node bench/stages.mjs [topic ...]`: the CPU cost of each stage of the pipeline, per event,
// in one process and without HTTP, on the built code (npm run build first). Where the
// end-to-end profile (`npm run bench -- --profile`) says what dominates on the whole path,
// this says it per topic and per stage, steadily enough to compare a change before and after
// on a machine that is busy with other work: each stage runs on the same pre-generated
// deliveries several times and the fastest pass counts (CPU time of the process, user+system).
//
// Stages: decode (UTF-8 check, JSON.parse, envelope checks) → map (the topic's mapping) →
// logs (SDK log records from the mapped logs) → metrics (recording on SDK instruments) →
// serialize (OTLP protobuf of the log records, in export batches, by the bridge's serializer;
// `SDK serialize` is the SDK's ProtobufLogsSerializer on the same records, for comparison).
// Then session spans: client-join, client-sessions and nac-events deliveries through the real
// session tracker (flushed at the end), serialized by the bridge's span serializer and the SDK's
// ProtobufTraceSerializer, per span.
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BatchAck, NO_ACK } from '../dist/src/acks/ack.js';
import { createLogsSerializer } from '../dist/src/export/logs-serializer.js';
import { createSpansSerializer } from '../dist/src/export/spans-serializer.js';
import { loadMappings } from '../dist/src/mapping/loader.js';
import { SessionTracker } from '../dist/src/sessions/tracker.js';
import { createMetricRecorder, EventTimeGauges } from '../dist/src/signals/metrics.js';
import { buildResource, createEmitters, createMeters } from '../dist/src/signals/providers.js';
import { SubjectMetrics } from '../dist/src/signals/subject-metrics.js';
import { decodeEnvelope } from '../dist/src/sources/webhook/envelope.js';
import { delivery, TOPICS } from '../mist-payloads/webhook.mjs';

const EVENTS_PER_DELIVERY = 50;
const DELIVERIES = 200;
const PASSES = 5;
const BATCH = Number(process.env.BATCH ?? 512);

function best(fn) {
  let min = Infinity;
  for (let i = 0; i < PASSES; i++) {
    globalThis.gc?.();
    const t0 = process.cpuUsage();
    fn();
    const t = process.cpuUsage(t0);
    min = Math.min(min, t.user + t.system);
  }
  return min;
}

/** CPU of serializing `items` in export batches, by the bridge's serializer and the SDK's, and the bytes the bridge's made. */
function serializeCosts(items, serializer, sdkSerializer) {
  let bytes = 0;
  const serialize = best(() => {
    bytes = 0;
    for (let i = 0; i < items.length; i += BATCH) bytes += serializer.serializeRequest(items.slice(i, i + BATCH)).length;
  });
  const sdkSerialize = best(() => {
    for (let i = 0; i < items.length; i += BATCH) sdkSerializer.serializeRequest(items.slice(i, i + BATCH));
  });
  return { bytes, serialize, sdkSerialize };
}

const topics = process.argv.slice(2).length ? process.argv.slice(2) : ['location', 'client-sessions', 'nac-events', 'device-events', 'alarms'];
const mappings = loadMappings({});
const rows = [];
for (const topic of topics) {
  if (!TOPICS[topic]) throw new Error(`no generator for ${topic}`);
  const d = delivery(topic, EVENTS_PER_DELIVERY, 'stage-secret');
  const bodies = Array.from({ length: DELIVERIES }, () => d.next().body);
  const events = DELIVERIES * EVENTS_PER_DELIVERY;
  const receivedNs = BigInt(Date.now()) * 1_000_000n;

  let records = [];
  const signals = createEmitters(buildResource(), { logs: (r) => records.push(r), spans: () => {} });
  const recorder = createMetricRecorder(createMeters(buildResource()).meter, mappings.metrics, new EventTimeGauges(), new SubjectMetrics());

  let envelopes;
  const decode = best(() => {
    envelopes = bodies.map((b) => decodeEnvelope(b));
  });
  let mapped;
  const map = best(() => {
    mapped = [];
    for (const env of envelopes) for (const e of env.events) mapped.push(mappings.engine.map('webhook', env.topic, e, receivedNs));
  });
  const logs = best(() => {
    records = [];
    for (const m of mapped) for (const out of m.logs) signals.logs.emit(out, NO_ACK);
  });
  const metrics = best(() => {
    for (const m of mapped) if (m.metrics.length) recorder.record(m.metrics);
    recorder.flush();
  });
  const { bytes, serialize, sdkSerialize } = serializeCosts(records, createLogsSerializer(), ProtobufLogsSerializer);
  const perEvent = (us) => us / events;
  rows.push({
    topic,
    'bytes/event in': (d.bytes / EVENTS_PER_DELIVERY).toFixed(0),
    'logs/event': (records.length / events).toFixed(2),
    'decode µs': perEvent(decode).toFixed(2),
    'map µs': perEvent(map).toFixed(2),
    'logs µs': perEvent(logs).toFixed(2),
    'metrics µs': perEvent(metrics).toFixed(2),
    'serialize µs': perEvent(serialize).toFixed(2),
    'SDK serialize µs': perEvent(sdkSerialize).toFixed(2),
    'total µs': perEvent(decode + map + logs + metrics + serialize).toFixed(2),
    'OTLP bytes/event': (bytes / events).toFixed(0),
  });
}
console.table(rows);
console.log(`per event, best of ${PASSES} passes over ${DELIVERIES} deliveries of ${EVENTS_PER_DELIVERY} events; serialize in batches of ${BATCH}`);

// Session spans: what the tracker ends, in export batches.
{
  const spans = [];
  const signals = createEmitters(buildResource(), { logs: () => {}, spans: (span) => spans.push(span) });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const limits = { maxSessions: 100_000, maxAgeMs: 86_400_000, settleMs: 60_000, stitchWindowMs: 60_000, retainEndedMs: 60_000, maxPendingFacts: 1_000_000 };
  const tracker = new SessionTracker(signals.spans, limits, quiet);
  const receivedNs = BigInt(Date.now()) * 1_000_000n;
  for (const topic of ['client-join', 'client-sessions', 'nac-events']) {
    const d = delivery(topic, EVENTS_PER_DELIVERY, 'stage-secret');
    for (let i = 0; i < DELIVERIES / 2; i++) {
      const env = decodeEnvelope(d.next().body);
      const ack = new BatchAck({ settled() {} });
      for (const e of env.events) for (const c of mappings.engine.map('webhook', env.topic, e, receivedNs).trace) tracker.observe(c, ack);
    }
  }
  tracker.sweep(true);
  const { bytes, serialize, sdkSerialize } = serializeCosts(spans, createSpansSerializer(), ProtobufTraceSerializer);
  console.table([
    {
      spans: spans.length,
      'serialize µs/span': (serialize / spans.length).toFixed(2),
      'SDK serialize µs/span': (sdkSerialize / spans.length).toFixed(2),
      'OTLP bytes/span': (bytes / spans.length).toFixed(0),
    },
  ]);
  console.log(`session spans of ${DELIVERIES / 2} deliveries each of client-join, client-sessions, nac-events; best of ${PASSES} passes; batches of ${BATCH}`);
}
