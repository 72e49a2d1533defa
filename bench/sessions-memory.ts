// Memory of the session table: heap used by N open client sessions.
//
//   node --expose-gc --import tsx bench/sessions-memory.ts [N]      (default 100000)
//
// Each client's story is what a real session holds while it is open: a NAC authentication (two
// certificate checks and the permit), the client-join, the client-info. The events go through the
// built-in mappings (mappings/*.yaml) to the tracker, as in the bridge, so the attributes held are
// the real ones. The heap is measured after a forced GC: once with every event still pending (inside
// the settle time), once after the sessions settled (children exported, each session open waiting
// for its disconnect). Exported spans go to a sink that drops them.
import { loadMappings } from '../src/mapping/loader.js';
import { createLogger } from '../src/log/logger.js';
import { SessionTracker } from '../src/sessions/tracker.js';
import { PresetIdGenerator } from '../src/signals/preset-ids.js';
import { createSignals } from '../src/signals/providers.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const N = Number(process.argv[2] ?? 100_000);
const { engine } = loadMappings();
const ids = new PresetIdGenerator();
const signals = createSignals({ sinks: { logs: () => {}, spans: () => {} }, idGenerator: ids });
let now = 0;
const limits = { maxSessions: N + 1, maxAgeMs: 86_400_000, settleMs: 60_000, stitchWindowMs: 60_000, retainEndedMs: 3_600_000, maxPendingFacts: 10 * N };
const tracker = new SessionTracker(signals.tracer, ids, limits, createLogger('error'), () => now);

const ORG = '2c7e4c1a-0f3b-4d7e-9a51-6b0c8d2e7f10';
const SITE = '8a1d2b3c-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const WLAN = '4f6e8d0c-2b4a-4c6e-8a0b-2c4e6a8c0e2f';

function feed(i: number): void {
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
  const events: [string, unknown][] = [
    ['nac-events', nac('NAC_SERVER_CERT_VALIDATION_SUCCESS', 301)],
    ['nac-events', nac('NAC_CLIENT_CERT_CHECK_SUCCESS', 304)],
    ['nac-events', nac('NAC_CLIENT_PERMIT', 310)],
    [
      'client-join',
      { ...base, ap, ap_name: `ap-${i % 400}`, band: '5', bssid: ap, ssid: 'Corp', wlan_id: WLAN, rssi: -60, connect: t, connect_float: t + 0.402, site_name: 'HQ', version: 2, timestamp: t },
    ],
    ['client-info', { ...base, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, hostname: `host-${i}`, timestamp: t + 1 }],
  ];
  for (const [topic, event] of events) {
    // Through JSON, as a delivery arrives: every string is the event's own copy, as in the bridge.
    const parsed = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    for (const c of engine.map(topic, parsed, 0n).trace) tracker.observe(c, i);
  }
}

function heapMiB(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const before = heapMiB();
for (let i = 1; i <= N; i++) feed(i);
const pending = heapMiB();
now += limits.settleMs;
tracker.sweep(false);
const open = heapMiB();


const stats = tracker.snapshot;
if (stats.sessions !== N || stats.exportedSpans !== 2 * N) throw new Error(`unexpected table state ${JSON.stringify(stats)}`);
const per = (mib: number) => ((mib * 2 ** 20) / N).toFixed(0);
console.log(`sessions: ${N} open (each waiting for its disconnect; nac-auth and dhcp exported)`);
console.log(`heap before:           ${before.toFixed(1)} MiB`);
console.log(`events still pending:  +${(pending - before).toFixed(1)} MiB (${per(pending - before)} bytes per client)`);
console.log(`sessions open:         +${(open - before).toFixed(1)} MiB (${per(open - before)} bytes per session)`);

// The periodic sweep visits every client: its cost with nothing to do is the steady-state price.
const sweeps = 20;
const started = performance.now();
for (let i = 0; i < sweeps; i++) tracker.sweep(false);
console.log(`idle sweep over ${N} sessions: ${((performance.now() - started) / sweeps).toFixed(1)} ms`);
