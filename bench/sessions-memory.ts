// Memory of the session tracker: heap per fact waiting for its settle time, per open session and
// per ended session remembered for deduplication.
//
//   node --expose-gc --import tsx bench/sessions-memory.ts [N] [story|benchmark]   (N: default 100000)
//
// Two workloads, each through the built-in mappings (mappings/*.yaml) into the tracker as in the
// bridge, every event through JSON as a delivery arrives (so every string is the event's own copy):
//
// story      N clients, each with what a real session holds while it is open: a NAC
//            authentication (two certificate checks and the permit), the client-join, the
//            client-info; later its client-sessions disconnect.
// benchmark  the session topics of the benchmark's batch50-mixed scenario (mist-payloads/webhook.mjs):
//            50-event client-sessions and nac-events deliveries, N events in all, over the
//            benchmark's population of clients.
//
// The heap is measured after a forced GC at each stage: events pending (inside the settle time);
// sessions open (children exported, waiting for the disconnect); sessions ended (roots exported,
// remembered for retainEndedMs). Exported spans go to a sink that drops them.

import { delivery } from '../mist-payloads/webhook.mjs';
import { BatchAck } from '../src/acks/ack.js';
import { createLogger } from '../src/log/logger.js';
import { loadMappings } from '../src/mapping/loader.js';
import { type SessionLimits, SessionTracker } from '../src/sessions/tracker.js';
import { buildResource, createEmitters } from '../src/signals/providers.js';
import { decodeEnvelope } from '../src/sources/webhook/envelope.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const N = Number(process.argv[2] ?? 100_000);
const { engine } = loadMappings();
const SETTLE_MS = 60_000;

function heapBytes(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

function tracker(maxSessions: number) {
  const signals = createEmitters(buildResource(), { logs: () => {}, spans: () => {} });
  const clock = { now: 1_763_712_000_000 };
  const limits: SessionLimits = {
    maxSessions,
    maxAgeMs: 86_400_000,
    settleMs: SETTLE_MS,
    stitchWindowMs: 60_000,
    retainEndedMs: 3_600_000,
    maxPendingFacts: 10 * N,
  };
  const t = new SessionTracker(signals.spans, limits, createLogger('error'), () => clock.now);
  let facts = 0;
  // One acknowledgement per delivery, as the journal gives each; a delivery's events come together.
  const settledNowhere = { settled() {} };
  let ackSeq = -1;
  let ack = new BatchAck(settledNowhere);
  const ackOf = (seq: number) => {
    if (seq !== ackSeq) {
      ackSeq = seq;
      ack = new BatchAck(settledNowhere);
    }
    return ack;
  };
  return {
    t,
    get facts() {
      return facts;
    },
    /** Through JSON, as a delivery arrives: every string is the event's own copy, as in the bridge. */
    ackOf,
    feed(topic: string, event: unknown, seq: number) {
      const parsed = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
      for (const c of engine.map('webhook', topic, parsed, 0n).trace) {
        t.observe(c, ackOf(seq));
        facts += 1;
      }
    },
    settle() {
      clock.now += SETTLE_MS;
      t.sweep(false);
    },
  };
}

const row = (label: string, bytes: number, per: number, unit: string) =>
  console.log(`  ${label.padEnd(34)} ${(bytes / 2 ** 20).toFixed(1).padStart(7)} MiB  ${(bytes / per).toFixed(0).padStart(6)} bytes per ${unit}`);

// ---------------------------------------------------------------- story

const ORG = '2c7e4c1a-0f3b-4d7e-9a51-6b0c8d2e7f10';
const SITE = '8a1d2b3c-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const WLAN = '4f6e8d0c-2b4a-4c6e-8a0b-2c4e6a8c0e2f';

function story(i: number) {
  const mac = i.toString(16).padStart(12, '0');
  const ap = `d420b0${(i % 400).toString(16).padStart(6, '0')}`;
  const t = 1763712000 + (i % 3600);
  const base = { org_id: ORG, site_id: SITE, mac };
  const nac = (type: string, ms: number) => ({
    ...base,
    type,
    ap,
    ssid: 'Corp',
    auth_type: 'eap-tls',
    client_type: 'wireless',
    username: `user${i}@example.com`,
    nacrule_id: '7d1c0e2f-1111-4a2b-8c3d-4e5f6a7b8c9d',
    nacrule_name: 'Employees',
    cert_cn: `user${i}`,
    cert_issuer: '/DC=com/DC=example/CN=Example-CA',
    timestamp: t * 1000 + ms,
  });
  const session = {
    ...base,
    ap,
    ap_name: `ap-${i % 400}`,
    band: '5',
    bssid: ap,
    ssid: 'Corp',
    wlan_id: WLAN,
    rssi: -60,
    connect: t,
    connect_float: t + 0.402,
    site_name: 'HQ',
    version: 2,
  };
  const open: [string, unknown][] = [
    ['nac-events', nac('NAC_SERVER_CERT_VALIDATION_SUCCESS', 301)],
    ['nac-events', nac('NAC_CLIENT_CERT_CHECK_SUCCESS', 304)],
    ['nac-events', nac('NAC_CLIENT_PERMIT', 310)],
    ['client-join', { ...session, timestamp: t }],
    ['client-info', { ...base, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, hostname: `host-${i}`, timestamp: t + 1 }],
  ];
  const end: [string, unknown] = [
    'client-sessions',
    {
      ...session,
      client_family: 'Mac',
      client_os: 'macOS 14',
      disconnect: t + 3600,
      disconnect_float: t + 3600.5,
      duration: 3600.1,
      termination_reason: 1,
      timestamp: t + 3600,
    },
  ];
  return { open, end };
}

function storyWorkload(): void {
  const s = tracker(N + 1);
  const before = heapBytes();
  for (let i = 1; i <= N; i++) for (const [topic, event] of story(i).open) s.feed(topic, event, i);
  const pending = heapBytes() - before;
  const facts = s.facts;
  s.settle();
  const open = heapBytes() - before;
  let stats = s.t.snapshot;
  if (stats.sessions !== N || stats.exportedSpans !== 2 * N) throw new Error(`unexpected table state ${JSON.stringify(stats)}`);
  for (let i = 1; i <= N; i++) s.feed(...story(i).end, N + i);
  s.settle(); // the disconnect is placed (connected span out), the root waits its settle time
  s.settle(); // the root goes out
  const ended = heapBytes() - before;
  stats = s.t.snapshot;
  if (stats.sessions !== N || stats.exportedSpans !== 4 * N) throw new Error(`unexpected table state ${JSON.stringify(stats)}`);

  console.log(`story: ${N} clients (NAC checks and permit, join, client-info; then the disconnect)`);
  row('events pending', pending, facts, 'fact');
  row('sessions open', open, N, 'session');
  row('sessions ended, remembered', ended, N, 'session');

  // The periodic sweep visits every client: its cost with nothing to do is the steady-state price.
  const sweeps = 20;
  const started = performance.now();
  for (let i = 0; i < sweeps; i++) s.t.sweep(false);
  console.log(`  idle sweep over ${N} sessions: ${((performance.now() - started) / sweeps).toFixed(1)} ms`);
}

// ---------------------------------------------------------------- benchmark

function benchmarkWorkload(): void {
  const s = tracker(10 * N);
  const kinds = ['client-sessions', 'nac-events'].map((topic) => delivery(topic, 50, 'memory') as { next(): { body: Buffer } });
  const before = heapBytes();
  let seq = 0;
  while (seq * 50 < N) {
    const { topic, events } = decodeEnvelope(kinds[seq % 2]!.next().body);
    seq += 1;
    for (const event of events) for (const c of engine.map('webhook', topic, event, 0n).trace) s.t.observe(c, s.ackOf(seq));
  }
  const facts = seq * 50;
  const pending = heapBytes() - before;
  const clients = s.t.snapshot.sessions;
  // Every record is a disconnect that arrived with its client's other facts: its root goes out
  // in the same sweep that places it.
  s.settle();
  const ended = heapBytes() - before;
  const sessions = s.t.snapshot.sessions;

  console.log(`benchmark shapes: ${facts} client-sessions and nac-events events (batch50-mixed), ${clients} clients, then ${sessions} sessions`);
  row('events pending', pending, facts, 'fact');
  row('sessions ended, remembered', ended, sessions, 'session');
}

const only = process.argv[3];
if (only !== 'benchmark') storyWorkload();
if (only !== 'story') benchmarkWorkload();
