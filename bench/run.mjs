// `npm run bench`: the bridge (built, production mode) against the Node.js floor, side by side.
//
// Processes: this harness, the load generator (wrk in its own process, see wrk.mjs, and/or
// autocannon in this one), an OTLP/HTTP receiver that counts every exported record
// (receiver.mjs), the floor (floor.mjs: node:http, reads the body, answers 200) and, per
// scenario and generator, a fresh bridge (node dist/src/main.js, NODE_ENV=production) exporting
// to the receiver. The harness talks to the bridge only over HTTP, so it can measure another
// checkout's build (--bridge-dir). The floor and the bridge get the same signed, never-repeating
// deliveries (mist-payloads/webhook.mjs) in alternating rounds, so both see the same machine state.
//
// Figures are honest by construction: a bridge round counts only deliveries answered 2xx,
// and its rate is taken over the round plus the CPU time the bridge spent after it until the
// export had caught up (the drain), so work deferred past the round is charged to it. Every
// acknowledged event
// must reach the receiver (zero loss), checked per scenario against the number of log records
// each delivery produces, measured beforehand (calibration) because that is the mapping's
// business, not the benchmark's.
//
// The stream scenario (stream.mjs) drives a stream-only bridge from a local stand-in of Mist's
// REST and WebSocket APIs (stream-server.mjs, its own process) replaying a large organisation's
// device and client statistics, at their real rates and then at full speed, and checks what the
// receiver got collection by collection.
//
// Options: --quick (short rounds), --profile (bridge under --cpu-prof; top functions printed,
// BENCHMARKS.md untouched), --scenarios=single,batch50-location,batch50-mixed,mix,rate,outage,stream,
// --rounds=N, --seconds=N, --connections=N, --protocol=http/protobuf|http/json, --no-write,
// --load=wrk|autocannon|both (the throughput scenarios' generator; default both when wrk is on
// PATH; the fixed-rate scenarios always use autocannon), --wrk-threads=N, --bridge-dir=DIR
// (measure DIR's build: DIR/dist/src/main.js with DIR as working directory and the flags of
// DIR/Dockerfile), --bridge-node=PATH (the node that runs the bridge; default this one),
// --stream-scale=X (the stream scenario's organisation times X), --otlp-max-body-mib=N (the
// receiver refuses larger bodies with 400, as the OpenTelemetry Collector does past 20 MiB).

import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { deliveries, MIXES } from '../mist-payloads/webhook.mjs';
import { cpuMs, machineCpuMs, ownCpuMs, watchMemory } from './proc.mjs';
import { formatSummary, summarizeProfile } from './profile-summary.mjs';
import { streamScenario } from './stream.mjs';
import { checkWrk, findWrk, runWrk, wrkVersion } from './wrk.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'bench-secret-0b5f6c2e9a';
const PATH = '/mist/webhook';
const HEADERS = { 'content-type': 'application/json', 'user-agent': 'Mist-webhook' };

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    scenarios: { type: 'string', default: 'single,batch50-location,batch50-mixed,mix,rate,outage,stream' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '16' },
    rate: { type: 'string', default: '2000' },
    protocol: { type: 'string', default: 'http/protobuf' },
    'no-write': { type: 'boolean', default: false },
    // Extra node flags for the bridge, for experiments (e.g. --max-semi-space-size=32).
    'bridge-flags': { type: 'string', default: '' },
    // A configuration overlay for the bridge (--config FILE), for experiments.
    'bridge-config': { type: 'string' },
    load: { type: 'string' },
    'wrk-threads': { type: 'string', default: '2' },
    'bridge-dir': { type: 'string' },
    'bridge-node': { type: 'string', default: process.execPath },
    // The stream scenario's organisation, as a share of 5,000 APs, 500 switches, 100 gateways and 50,000 clients.
    'stream-scale': { type: 'string', default: '1' },
    // The receiver refuses bodies over this many MiB with 400, as the OpenTelemetry Collector does (20 by default there); 0: no limit.
    'otlp-max-body-mib': { type: 'string', default: '0' },
  },
});
const ROUNDS = Number(opt.rounds ?? (opt.quick ? 1 : 2));
const SECONDS = Number(opt.seconds ?? (opt.quick ? 3 : 6));
const WARMUP_SECONDS = opt.quick ? 1 : 2;
const CONNECTIONS = Number(opt.connections);
const RATE = Number(opt.rate);
const RATE_SECONDS = opt.quick ? 4 : 10;
const OUTAGE = opt.quick ? { before: 2, down: 4, after: 2 } : { before: 5, down: 10, after: 5 };
const DRAIN_TIMEOUT_MS = 90_000;
// Longer than the bridge's default log export schedule (1 s): no record for this long, and none is pending.
const QUIET_MS = 1500;
const SCENARIOS = new Set(opt.scenarios.split(','));
const WEBHOOK_SCENARIOS = ['single', 'batch50-location', 'batch50-mixed', 'mix', 'rate', 'outage'];
const WEBHOOKS = WEBHOOK_SCENARIOS.some((s) => SCENARIOS.has(s));
const STREAM_SCALE = Number(opt['stream-scale']);
const OTLP_MAX_BODY_MIB = Number(opt['otlp-max-body-mib']);
const PROFILE_DIR = join(ROOT, '.bench', 'profiles');
const BRIDGE_DIR = resolve(opt['bridge-dir'] ?? ROOT);
const BRIDGE_NODE = opt['bridge-node'];
// Resolved here: the bridge runs in BRIDGE_DIR.
const BRIDGE_CONFIG = opt['bridge-config'] && resolve(opt['bridge-config']);
const WRK_BIN = findWrk();
const WRK_THREADS = Number(opt['wrk-threads']);
const LOADS = { wrk: ['wrk'], autocannon: ['autocannon'], both: ['wrk', 'autocannon'] }[opt.load ?? (WRK_BIN ? 'both' : 'autocannon')];
function usage(message) {
  process.stderr.write(`[bench] ${message}\n`);
  process.exit(2);
}
if (!LOADS) usage(`--load=${opt.load}: wrk, autocannon or both`);
if (LOADS.includes('wrk') && !WRK_BIN) usage('--load: wrk is not on PATH (Debian: apt-get install wrk)');
if (LOADS.includes('wrk') && !(WRK_THREADS >= 1 && CONNECTIONS % WRK_THREADS === 0))
  usage('--connections must be a multiple of --wrk-threads (wrk spreads them evenly)');
for (const s of SCENARIOS)
  if (s !== 'stream' && !WEBHOOK_SCENARIOS.includes(s)) usage(`--scenarios: unknown scenario ${s} (${[...WEBHOOK_SCENARIOS, 'stream'].join(', ')})`);
if (!(STREAM_SCALE > 0)) usage('--stream-scale must be more than 0');
if (!(OTLP_MAX_BODY_MIB >= 0)) usage('--otlp-max-body-mib must be 0 (no limit) or more');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

// ------------------------------------------------------------------ child processes

function forkChild(script) {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    child.once('message', (m) => (m.type === 'ready' ? resolve({ child, port: m.port }) : reject(new Error(`${script}: ${JSON.stringify(m)}`))));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

class Receiver {
  constructor(child, port) {
    this.child = child;
    this.port = port;
    this.nextId = 0;
    this.waiting = new Map();
    child.on('message', (m) => {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    });
  }
  static async start() {
    const { child, port } = await forkChild('./receiver.mjs');
    return new Receiver(child, port);
  }
  ask(type) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ type, id });
    });
  }
  async stats() {
    return (await this.ask('stats')).stats;
  }
  /** The digest of the last metric export of mapped telemetry (receiver.mjs, CollectionDigest). */
  collection() {
    return this.ask('collection');
  }
  /** Refuse bodies over `bytes` with 400, as the OpenTelemetry Collector's receiver does (0: no limit). */
  limit(bytes) {
    this.child.send({ type: 'limit', bytes });
  }
  fail(status) {
    this.child.send({ type: 'fail', status });
  }
  /** Waits until the receiver holds at least `logs` log records; returns ms waited, or undefined on timeout. */
  async waitForLogs(logs, timeoutMs) {
    const started = Date.now();
    for (;;) {
      const s = await this.stats();
      if (s.logs >= logs) return Date.now() - started;
      if (Date.now() - started > timeoutMs) return undefined;
      await sleep(20);
    }
  }
  /**
   * Waits until no log record has arrived for `quietMs`; returns ms from the call to the last
   * arrival (0 if none came).
   */
  async waitForQuiet(quietMs) {
    const started = Date.now();
    let last = await this.stats();
    let lastChange = started;
    while (Date.now() - lastChange < quietMs) {
      await sleep(20);
      const s = await this.stats();
      if (s.logs !== last.logs) lastChange = Date.now();
      last = s;
    }
    return lastChange - started;
  }
  stop() {
    this.child.disconnect();
  }
}

function bridgeEnv(receiverPort, port, dataDir, extra) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    MIST_WEBHOOK_SECRET: SECRET,
    MIST_BRIDGE_HOST: '127.0.0.1',
    MIST_BRIDGE_PORT: String(port),
    MIST_BRIDGE_LOG_LEVEL: 'warn',
    // Duplicate suppression off: every delivery of the run is new anyway, and the figures
    // are for the pipeline itself.
    MIST_BRIDGE_DEDUP_WINDOW: '0',
    MIST_BRIDGE_DATA_DIR: dataDir,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiverPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: opt.protocol,
    ...PRODUCTION_ENV,
    ...extra,
  };
}

/**
 * How production runs the bridge, read from the image's Dockerfile so the benchmark measures the
 * bridge as it is deployed: the node flags of its CMD, and the malloc settings of its ENV (glibc
 * reads them from the environment at start).
 */
function productionImage() {
  try {
    const text = readFileSync(join(BRIDGE_DIR, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
    const cmd = [...text.matchAll(/^CMD\s+(\[.*\])\s*$/gm)].at(-1);
    const argv = cmd ? JSON.parse(cmd[1]) : [];
    const main = argv.indexOf('dist/src/main.js');
    return {
      flags: argv[0] === 'node' && main > 0 ? argv.slice(1, main) : [],
      env: Object.fromEntries([...text.matchAll(/^ENV\s.*$/gm)].flatMap((line) => [...line[0].matchAll(/(MALLOC_\w+)=(\S+)/g)].map((m) => [m[1], m[2]]))),
    };
  } catch {
    return { flags: [], env: {} };
  }
}
const { flags: PRODUCTION_FLAGS, env: PRODUCTION_ENV } = productionImage();
const envText = () =>
  Object.entries(PRODUCTION_ENV)
    .map(([k, v]) => `${k}=${v} `)
    .join('');

/**
 * A server's CPU time from now on: `charge(r)` sets the round's `cpuMs` (the whole process) and
 * `mainCpuMs` (its main thread) to what it used since.
 */
function cpuMeter(pid) {
  const processStartMs = cpuMs(pid);
  const mainStartMs = cpuMs(pid, { mainThread: true });
  return {
    processStartMs,
    charge(r) {
      r.cpuMs = cpuMs(pid) - processStartMs;
      r.mainCpuMs = cpuMs(pid, { mainThread: true }) - mainStartMs;
      return r;
    },
  };
}

// Bridges still running, stopped by main() whatever happens: a failed scenario must not leave one behind.
const liveBridges = new Set();

class Bridge {
  static async start(receiver, { label, extraEnv = {}, profile = false }) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(os.tmpdir(), 'mist-bench-'));
    const flags = [
      ...PRODUCTION_FLAGS,
      ...opt['bridge-flags'].split(' ').filter(Boolean),
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${label}.cpuprofile`] : []),
    ];
    const args = BRIDGE_CONFIG ? ['--config', BRIDGE_CONFIG] : [];
    const child = spawn(BRIDGE_NODE, [...flags, 'dist/src/main.js', ...args], {
      cwd: BRIDGE_DIR,
      env: bridgeEnv(receiver.port, port, dataDir, extraEnv),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const bridge = new Bridge(child, port, dataDir, label);
    liveBridges.add(bridge);
    await bridge.ready();
    return bridge;
  }
  constructor(child, port, dataDir, label) {
    this.child = child;
    this.pid = child.pid;
    this.port = port;
    this.dataDir = dataDir;
    this.label = label;
    this.url = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.stderrTail = [];
    this.warnings = new Map();
    let partial = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        let msg = line;
        try {
          const j = JSON.parse(line);
          msg = `${j.level}: ${j.msg}`;
        } catch {
          /* not a JSON log line: keep it as it is */
        }
        this.warnings.set(msg, (this.warnings.get(msg) ?? 0) + 1);
      }
    });
  }
  async ready() {
    const deadline = Date.now() + 20_000;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`${this.url}/readyz`);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(50);
    }
    throw new Error(`bridge did not become ready:\n${this.stderrTail.join('\n')}`);
  }
  /**
   * How many deliveries the bridge has answered 2xx, by its own count (the Prometheus text of
   * /metrics: mist_bridge_deliveries_total by http_response_status_code). An answer counts once
   * the delivery is in the journal, whether or not the client was still there to read it.
   */
  async acknowledged() {
    const res = await fetch(`${this.url}/metrics`);
    const text = await res.text();
    const series = [...text.matchAll(/^mist_bridge_deliveries_total\{([^}]*)\} (\S+)$/gm)];
    if (!res.ok || series.length === 0)
      throw new Error(
        `the bridge's /metrics (${res.status}) has no mist_bridge_deliveries_total: the zero-loss check with wrk needs it (or use --load=autocannon)`,
      );
    return series.filter(([, labels]) => /http_response_status_code="2\d\d"/.test(labels)).reduce((n, [, , v]) => n + Number(v), 0);
  }
  async stop() {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    const result = await this.exited;
    clearTimeout(timer);
    liveBridges.delete(this);
    rmSync(this.dataDir, { recursive: true, force: true });
    return result;
  }
}

class Floor {
  static async start() {
    const { child, port } = await forkChild('./floor.mjs');
    const f = new Floor();
    f.child = child;
    f.pid = child.pid;
    f.url = `http://127.0.0.1:${port}`;
    return f;
  }
  stop() {
    this.child.disconnect();
  }
}

// ------------------------------------------------------------------ load

/**
 * One autocannon round against `url` cycling through `list` (deliveries). Counts 2xx per
 * delivery kind, so acknowledged events and expected log records are exact.
 */
async function autocannonLoad(url, list, { seconds, rate, connections = CONNECTIONS, yields }) {
  const cpu0 = process.cpuUsage();
  const acked = new Array(list.length).fill(0);
  // Built = an upper bound on what the server may have accepted: autocannon stops at the end
  // of the round without waiting for the responses still in flight.
  const built = new Array(list.length).fill(0);
  const requests = list.map((d, i) => ({
    method: 'POST',
    path: PATH,
    setupRequest(req) {
      built[i] += 1;
      const { body, signature } = d.next();
      req.body = body;
      req.headers = { ...HEADERS, 'x-mist-signature-v2': signature };
      return req;
    },
    onResponse(status) {
      if (status >= 200 && status < 300) acked[i] += 1;
    },
  }));
  const result = await new Promise((resolve, reject) =>
    autocannon({ url, connections, duration: seconds, ...(rate ? { overallRate: rate } : {}), requests, timeout: 10 }, (err, r) =>
      err ? reject(err) : resolve(r),
    ),
  );
  const cpu = process.cpuUsage(cpu0);
  const statuses = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
  return {
    // Everything this process did meanwhile: autocannon, and the harness's bookkeeping.
    loadCpuMs: (cpu.user + cpu.system) / 1000,
    seconds: result.duration,
    ok: acked.reduce((a, b) => a + b, 0),
    events: acked.reduce((a, n, i) => a + n * list[i].events, 0),
    expect: yields ? { min: tally(acked, yields), max: tally(built, yields) } : undefined,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  };
}

/**
 * One wrk round against `url` cycling through `list`. wrk counts answers, not which delivery
 * each answered: the round says how many deliveries of each place in `list` wrk built
 * (`built`), and a Ledger turns that into what the bridge must export.
 */
async function wrkLoad(url, list, { seconds }) {
  const r = await runWrk({ bin: WRK_BIN, url, path: PATH, list, secret: SECRET, seconds, connections: CONNECTIONS, threads: WRK_THREADS, planFile: WRK_PLAN });
  // The first thread starts at the list's first place.
  r.built[0] -= WRK_UNSENT;
  const built = r.built.reduce((a, b) => a + b, 0);
  const ok = r.requests - r.statusErrors;
  return {
    built: r.built,
    loadCpuMs: r.cpuMs,
    seconds: r.durationUs / 1e6,
    ok,
    // Pro rata: wrk does not say which deliveries (of how many events) were among those answered.
    events: built ? (ok * r.built.reduce((a, n, i) => a + n * list[i].events, 0)) / built : 0,
    p50: r.p50Us / 1000,
    p99: r.p99Us / 1000,
    max: r.maxUs / 1000,
    errors: r.connectErrors + r.readErrors + r.writeErrors,
    timeouts: r.timeouts,
    statuses: { '2xx': ok, 'over 399': r.statusErrors },
  };
}

const GENERATORS = { wrk: wrkLoad, autocannon: autocannonLoad };
let WRK_PLAN; // a file in the run's temporary directory, rewritten for every wrk round
let WRK_UNSENT = 0; // requests wrk builds on its first thread before it starts, never sent (checkWrk)

/** What `counts[i]` deliveries of each kind must have produced, given what one yields. */
function tally(counts, yields) {
  const out = { logs: 0, counters: {} };
  counts.forEach((n, i) => {
    out.logs += n * yields[i].logs;
    for (const [name, inc] of Object.entries(yields[i].counters)) out.counters[name] = (out.counters[name] ?? 0) + n * inc;
  });
  return out;
}

/** tally(), less what `missing` of the deliveries counted could have yielded at most. */
function tallyAtLeast(counts, missing, yields) {
  const most = (f) => missing * Math.max(0, ...yields.map(f));
  const t = tally(counts, yields);
  const out = { logs: Math.max(0, t.logs - most((y) => y.logs)), counters: {} };
  for (const [name, n] of Object.entries(t.counters)) out.counters[name] = Math.max(0, n - most((y) => y.counters[name] ?? 0));
  return out;
}

function addTally(a, b) {
  const out = { logs: a.logs + b.logs, counters: { ...a.counters } };
  for (const [name, n] of Object.entries(b.counters)) out.counters[name] = (out.counters[name] ?? 0) + n;
  return out;
}

const NOTHING = { min: { logs: 0, counters: {} }, max: { logs: 0, counters: {} } };
const addExpect = (a, b) => ({ min: addTally(a.min, b.min), max: addTally(a.max, b.max) });

/**
 * What one bridge was sent and what it acknowledged, over its rounds, so far: `expect()` says
 * how many log records and counts it must have exported (`min`: at least those of every delivery
 * acknowledged; `max`: at most those of every delivery sent).
 *
 * autocannon rounds are exact (it counts 2xx per delivery). For wrk rounds, which delivery was
 * answered is not known: what the bridge acknowledged is its own count (acknowledged(), read
 * now, so deliveries it was still committing when a round ended count too), never less than the
 * 2xx wrk saw; the deliveries wrk built beyond that (still in flight, or not yet counted) are
 * taken to be those that would have yielded most. So `min` may fall below the exact figure by
 * what those yield (`unattributed` deliveries), never above it.
 */
class Ledger {
  constructor(yields) {
    this.yields = yields;
    this.exact = NOTHING;
    this.built = yields.map(() => 0);
    this.ok = 0;
  }
  add(round) {
    if (round.expect) this.exact = addExpect(this.exact, round.expect);
    if (round.built) {
      for (const [i, n] of round.built.entries()) this.built[i] += n;
      this.ok += round.ok;
    }
  }
  async expect(bridge) {
    const built = this.built.reduce((a, b) => a + b, 0);
    if (built === 0) return { ...this.exact, unattributed: 0 };
    const acked = await bridge.acknowledged();
    if (acked > built || acked < this.ok)
      throw new Error(`the bridge counts ${acked} deliveries acknowledged; wrk built ${built} and saw ${this.ok} answered 2xx`);
    const wrk = { min: tallyAtLeast(this.built, built - acked, this.yields), max: tally(this.built, this.yields) };
    return { ...addExpect(this.exact, wrk), unattributed: built - acked };
  }
}

// ------------------------------------------------------------------ calibration

/**
 * What each kind of delivery turns into, measured on a bridge that exports at once: how many
 * log records, and by how much each counting metric (a monotonic sum or histogram count that
 * goes up by the same whole number for every such delivery) grows. The mapping decides this (a
 * location update becomes a counter increment, not a log record); the benchmark must not guess.
 * Metrics whose growth depends on event values (bytes, durations) are not used for the check.
 */
async function calibrate(receiver, kinds) {
  const bridge = await Bridge.start(receiver, {
    label: 'calibration',
    extraEnv: { OTEL_BLRP_SCHEDULE_DELAY: '5', OTEL_BSP_SCHEDULE_DELAY: '5', OTEL_METRIC_EXPORT_INTERVAL: '50' },
  });
  const send = async (d, n) => {
    for (let i = 0; i < n; i++) {
      const { body, signature } = d.next();
      const res = await fetch(`${bridge.url}${PATH}`, { method: 'POST', headers: { ...HEADERS, 'x-mist-signature-v2': signature }, body });
      if (!res.ok) throw new Error(`calibration: ${d.topic} x${d.events} answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  // Settled: two metric exports since, and no new log record for a while.
  const settle = async () => {
    const start = await receiver.stats();
    let prev = start;
    const deadline = Date.now() + 10_000;
    for (;;) {
      await sleep(60);
      const now = await receiver.stats();
      if (now.metricExports >= start.metricExports + 2 && now.logs === prev.logs) return now;
      if (Date.now() > deadline) throw new Error('calibration: the bridge did not settle');
      prev = now;
    }
  };
  const yields = new Map();
  try {
    let s0 = await settle();
    for (const d of kinds) {
      // One delivery, then two: a yield that is not the same both times is not a count.
      await send(d, 1);
      const s1 = await settle();
      await send(d, 2);
      const s2 = await settle();
      const logs1 = s1.logs - s0.logs;
      const logs2 = (s2.logs - s1.logs) / 2;
      if (logs1 !== logs2) throw new Error(`calibration: ${d.topic} x${d.events} gave ${logs1} then ${logs2} log records per delivery`);
      const counters = {};
      for (const name of Object.keys(s2.metricTotals)) {
        const a = (s1.metricTotals[name] ?? 0) - (s0.metricTotals[name] ?? 0);
        const b = ((s2.metricTotals[name] ?? 0) - (s1.metricTotals[name] ?? 0)) / 2;
        if (a > 0 && a === b && Number.isInteger(a)) counters[name] = a;
      }
      yields.set(d, { logs: logs1, counters });
      s0 = s2;
    }
  } finally {
    await bridge.stop();
  }
  return yields;
}

/** Events of a list that no check covers: kinds that yield neither log records nor counts. */
function unchecked(list, calibration) {
  return [
    ...new Set(
      list
        .filter((d) => {
          const y = calibration.get(d);
          return y.logs === 0 && Object.keys(y.counters).length === 0;
        })
        .map((d) => d.topic),
    ),
  ];
}

// ------------------------------------------------------------------ scenarios

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function summarizeRounds(rounds) {
  const secs = rounds.reduce((a, r) => a + r.seconds + (r.drainMs ?? 0) / 1000, 0);
  const ok = rounds.reduce((a, r) => a + r.ok, 0);
  const events = rounds.reduce((a, r) => a + r.events, 0);
  return {
    rps: ok / secs,
    eps: events / secs,
    p50: median(rounds.map((r) => r.p50)),
    p99: Math.max(...rounds.map((r) => r.p99)),
    drainMs: Math.max(...rounds.map((r) => r.drainMs ?? 0)),
    loadCpuPct: (100 * rounds.reduce((a, r) => a + r.loadCpuMs, 0)) / 1000 / rounds.reduce((a, r) => a + r.seconds, 0),
    non2xx: rounds.reduce(
      (a, r) =>
        a +
        Object.entries(r.statuses)
          .filter(([c]) => !c.startsWith('2'))
          .reduce((s, [, n]) => s + n, 0),
      0,
    ),
    errors: rounds.reduce((a, r) => a + r.errors + r.timeouts, 0),
    // CPU time of the server per delivery it acknowledged: less sensitive than rates to what
    // else the machine is running.
    cpuUs: rounds.every((r) => r.cpuMs !== undefined) ? (1000 * rounds.reduce((a, r) => a + r.cpuMs, 0)) / ok : undefined,
    // The event loop's share: what limits a single process's rate when the other core is free.
    mainCpuUs: rounds.every((r) => r.mainCpuMs !== undefined) ? (1000 * rounds.reduce((a, r) => a + r.mainCpuMs, 0)) / ok : undefined,
  };
}

/**
 * After a bridge's load: wait until every acknowledged log record was exported, stop the bridge
 * (its shutdown flushes the final metric collection), then check log records and counters:
 * at least what the acknowledged deliveries yield (nothing lost), at most what every delivery
 * sent yields (nothing exported twice).
 */
async function verify(receiver, bridge, base, expect) {
  const waited = await receiver.waitForLogs(base.logs + expect.min.logs, DRAIN_TIMEOUT_MS);
  const exit = await bridge.stop();
  const s = await receiver.stats();
  const lines = [];
  let pass = waited !== undefined && s.mismatches === 0 && s.bad === 0;
  const check = (what, got, min, max) => {
    const ok = got >= min && got <= max;
    pass &&= ok;
    lines.push(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${got} exported, ${min} acknowledged${max > min ? `, ${max} sent` : ''}`);
  };
  const exported = s.logs - base.logs;
  check('log records', exported, expect.min.logs, expect.max.logs);
  let counted = 0;
  for (const [name, min] of Object.entries(expect.min.counters)) {
    const got = (s.metricTotals[name] ?? 0) - (base.metricTotals[name] ?? 0);
    counted += got;
    check(`${name} (count)`, got, min, expect.max.counters[name] ?? min);
  }
  if (s.mismatches || s.bad) lines.push(`FAIL receiver: ${s.mismatches} count mismatches, ${s.bad} undecodable exports`);
  return { pass, exported, expected: expect.min.logs, counted, lines, exit };
}

async function throughput(ctx, name, list, loadName) {
  const { receiver, floor, calibration } = ctx;
  const load = GENERATORS[loadName];
  const yields = list.map((d) => calibration.get(d));
  log(
    `${name} (${loadName}): ${list.length} delivery kinds, ${(list.reduce((a, d) => a + d.events, 0) / list.length).toFixed(1)} events per delivery on average`,
  );
  const bridge = await Bridge.start(receiver, { label: `${name}-${loadName}`, profile: opt.profile });
  const base = await receiver.stats();
  const mem = watchMemory(bridge.pid);
  const ledger = new Ledger(yields);
  const floorRounds = [];
  const bridgeRounds = [];
  const cpu = { floorMs: 0, bridgeMs: 0 };

  const bridgeRound = async (seconds) => {
    const meter = cpuMeter(bridge.pid);
    const r = await load(bridge.url, list, { seconds, yields });
    const c1 = cpuMs(bridge.pid);
    ledger.add(r);
    const expect = await ledger.expect(bridge);
    r.unattributed = expect.unattributed;
    // The next round (the floor's) starts only once the receiver has every record this one
    // acknowledged. The work the bridge did meanwhile (export that fell behind) is charged to
    // the round: its CPU time there is added to the round's time. Waiting for the export
    // schedule (up to 1 s for a last partial batch) is not work and is not charged.
    r.waitMs = await receiver.waitForLogs(base.logs + expect.min.logs, DRAIN_TIMEOUT_MS);
    if (r.waitMs === undefined) throw new Error(`${name}: export did not catch up within ${DRAIN_TIMEOUT_MS} ms`);
    // Deliveries wrk built that the bridge did not acknowledge leave the count of records due
    // uncertain (see Ledger): then the export has caught up once records stop arriving.
    if (r.unattributed) r.waitMs += await receiver.waitForQuiet(QUIET_MS);
    meter.charge(r);
    r.drainMs = Math.min(r.waitMs, meter.processStartMs + r.cpuMs - c1);
    return r;
  };
  const floorRound = async (seconds) => {
    const meter = cpuMeter(floor.pid);
    return meter.charge(await load(floor.url, list, { seconds }));
  };

  await floorRound(WARMUP_SECONDS);
  await bridgeRound(WARMUP_SECONDS);
  for (let i = 0; i < ROUNDS; i++) {
    const f = await floorRound(SECONDS);
    floorRounds.push(f);
    cpu.floorMs += f.cpuMs;
    const b = await bridgeRound(SECONDS);
    bridgeRounds.push(b);
    cpu.bridgeMs += b.cpuMs;
    const unattributed = b.unattributed ? `; ${b.unattributed} deliveries wrk built not acknowledged so far` : '';
    log(
      `${name} (${loadName}) round ${i + 1}: floor ${(f.ok / f.seconds).toFixed(0)} req/s, bridge ${(b.ok / (b.seconds + b.drainMs / 1000)).toFixed(0)} req/s (export caught up ${b.waitMs} ms after the round, ${b.drainMs} ms of CPU charged${unattributed})`,
    );
  }
  const peakKiB = mem.stop();
  const check = await verify(receiver, bridge, base, await ledger.expect(bridge));
  const f = summarizeRounds(floorRounds);
  const b = summarizeRounds(bridgeRounds);
  const bridgeSeconds = bridgeRounds.reduce((a, r) => a + r.seconds + r.drainMs / 1000, 0);
  const floorSeconds = floorRounds.reduce((a, r) => a + r.seconds, 0);
  return {
    name,
    load: loadName,
    floor: { ...f, cpuPct: (100 * cpu.floorMs) / 1000 / floorSeconds },
    bridge: { ...b, cpuPct: (100 * cpu.bridgeMs) / 1000 / bridgeSeconds, peakMiB: peakKiB / 1024, ratio: b.rps / f.rps },
    check,
    warnings: bridge.warnings,
  };
}

async function fixedRate(ctx, list) {
  const { receiver, floor, calibration } = ctx;
  const yields = list.map((d) => calibration.get(d));
  const bridge = await Bridge.start(receiver, { label: 'rate', profile: opt.profile });
  const base = await receiver.stats();
  const mem = watchMemory(bridge.pid);
  await autocannonLoad(floor.url, list, { seconds: WARMUP_SECONDS, rate: RATE });
  const warm = await autocannonLoad(bridge.url, list, { seconds: WARMUP_SECONDS, rate: RATE, yields });
  const floorMeter = cpuMeter(floor.pid);
  const f = floorMeter.charge(await autocannonLoad(floor.url, list, { seconds: RATE_SECONDS, rate: RATE }));
  const bridgeMeter = cpuMeter(bridge.pid);
  const b = bridgeMeter.charge(await autocannonLoad(bridge.url, list, { seconds: RATE_SECONDS, rate: RATE, yields }));
  const peakKiB = mem.stop();
  const check = await verify(receiver, bridge, base, addExpect(warm.expect, b.expect));
  return {
    name: `mix @ ${RATE} req/s`,
    load: 'autocannon',
    floor: { ...summarizeRounds([f]), cpuPct: (100 * f.cpuMs) / 1000 / f.seconds },
    bridge: { ...summarizeRounds([b]), cpuPct: (100 * b.cpuMs) / 1000 / b.seconds, peakMiB: peakKiB / 1024 },
    check,
    warnings: bridge.warnings,
  };
}

async function outage(ctx, list) {
  const { receiver, calibration } = ctx;
  const yields = list.map((d) => calibration.get(d));
  const bridge = await Bridge.start(receiver, { label: 'outage', profile: opt.profile });
  const base = await receiver.stats();
  const mem = watchMemory(bridge.pid);
  const total = OUTAGE.before + OUTAGE.down + OUTAGE.after;
  const down = setTimeout(() => {
    log(`outage: receiver answers 503 for ${OUTAGE.down} s`);
    receiver.fail(503);
  }, OUTAGE.before * 1000);
  const up = setTimeout(
    () => {
      log('outage: receiver back');
      receiver.fail(0);
    },
    (OUTAGE.before + OUTAGE.down) * 1000,
  );
  let r;
  const meter = cpuMeter(bridge.pid);
  try {
    r = meter.charge(await autocannonLoad(bridge.url, list, { seconds: total, rate: RATE, yields }));
  } finally {
    clearTimeout(down);
    clearTimeout(up);
    receiver.fail(0);
  }
  const started = Date.now();
  const waited = await receiver.waitForLogs(base.logs + r.expect.min.logs, DRAIN_TIMEOUT_MS);
  const peakKiB = mem.stop();
  const check = await verify(receiver, bridge, base, r.expect);
  return {
    name: `outage ${OUTAGE.down} s (mix @ ${RATE} req/s)`,
    load: 'autocannon',
    bridge: {
      ...summarizeRounds([r]),
      cpuPct: (100 * r.cpuMs) / 1000 / r.seconds,
      peakMiB: peakKiB / 1024,
      refused: r.statuses['503'] ?? 0,
      recoveryMs: waited ?? Date.now() - started,
    },
    check,
    warnings: bridge.warnings,
  };
}

// ------------------------------------------------------------------ report

/** The checkout's commit, and whether its src/ has uncommitted changes. */
function commitOf(dir) {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { cwd: dir, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} (+ uncommitted changes in src/)` : commit;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model ?? 'unknown',
    memGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    bridgeNode: BRIDGE_NODE === process.execPath ? process.version : execFileSync(BRIDGE_NODE, ['--version'], { encoding: 'utf8' }).trim(),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    commit: commitOf(BRIDGE_DIR),
    harnessCommit: BRIDGE_DIR === resolve(ROOT) ? undefined : commitOf(ROOT),
    wrk: LOADS.includes('wrk') ? wrkVersion(WRK_BIN) : undefined,
    load: os.loadavg(),
  };
}

const n0 = (x) => (x === undefined || Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const n1 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));
const n2 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(2));

function table(results) {
  const rows = [
    [
      'scenario',
      'load',
      'server',
      'deliveries/s',
      'events/s',
      'p50 ms',
      'p99 ms',
      'CPU %',
      'CPU µs/delivery',
      'main thread µs/delivery',
      'peak RSS MiB',
      'load CPU %',
      'bridge/floor',
      'zero loss',
    ],
  ];
  const LEFT = 3;
  for (const r of results) {
    // Each generator's own resolution: autocannon's is the millisecond, wrk's the microsecond.
    const ms = r.load === 'wrk' ? n2 : n1;
    if (r.floor)
      rows.push([
        r.name,
        r.load,
        'floor',
        n0(r.floor.rps),
        n0(r.floor.eps),
        ms(r.floor.p50),
        ms(r.floor.p99),
        n0(r.floor.cpuPct),
        n0(r.floor.cpuUs),
        n0(r.floor.mainCpuUs),
        '',
        n0(r.floor.loadCpuPct),
        '',
        '',
      ]);
    const b = r.bridge;
    const loss = r.check.pass ? 'PASS' : 'FAIL';
    rows.push([
      r.floor ? '' : r.name,
      r.floor ? '' : r.load,
      'bridge',
      n0(b.rps),
      n0(b.eps),
      ms(b.p50),
      ms(b.p99),
      n0(b.cpuPct),
      n0(b.cpuUs),
      n0(b.mainCpuUs),
      n0(b.peakMiB),
      n0(b.loadCpuPct),
      b.ratio !== undefined ? `${(100 * b.ratio).toFixed(0)}%` : '',
      loss,
    ]);
  }
  return formatRows(rows, LEFT);
}

/** A table as Markdown and as aligned text; the first `left` columns are text, the rest figures. */
function formatRows(rows, left) {
  const md = [
    `| ${rows[0].join(' | ')} |`,
    `|${rows[0].map((_, i) => (i < left ? '---' : '---:')).join('|')}|`,
    ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const text = rows.map((r) => r.map((c, i) => (i < left ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')).join('\n');
  return { md, text };
}

/** The stream scenario's two phases. */
function streamTable(r) {
  const a = r.realtime;
  const b = r.fullspeed;
  const rows = [
    [
      'scenario',
      'phase',
      'messages/s',
      'device messages/s',
      'CPU %',
      'main thread %',
      'CPU µs/message',
      'main thread µs/message',
      'points/collection',
      'points/s',
      'OTLP request MiB',
      'collect + export ms',
      'median RSS MiB',
      'peak RSS MiB',
      'stand-in CPU %',
      'checks',
    ],
    [
      r.name,
      'realtime',
      n0(a.mps),
      n0(a.dps),
      n1(a.cpuPct),
      n1(a.mainPct),
      n0(a.cpuUs),
      n0(a.mainCpuUs),
      n0(a.points),
      n0(a.pointsPerSecond),
      n1(a.bytes / 2 ** 20),
      n0(a.exportMs),
      n0(a.medianMiB),
      n0(a.peakMiB),
      n1(a.serverPct),
      r.check.pass ? 'PASS' : 'FAIL',
    ],
    ['', 'full speed', n0(b.mps), n0(b.dps), n0(b.cpuPct), n0(b.mainPct), n1(b.cpuUs), n1(b.mainCpuUs), '', '', '', '', '', n0(b.peakMiB), n0(b.serverPct), ''],
  ];
  return formatRows(rows, 2);
}

function targets(results, stream) {
  const by = (prefix) => results.find((r) => r.name.startsWith(prefix));
  const lines = [];
  const mark = (ok) => (ok === undefined ? '—' : ok ? 'met' : 'NOT met');
  // The floor, and so the ratio, depends on the load generator: say which, when both ran.
  const loadOf = (r) => (LOADS.length > 1 ? `, ${r.load}` : '');
  for (const single of results.filter((r) => r.name === 'single')) {
    lines.push([
      `single-event deliveries ≥ 50% of the floor, all exported${loadOf(single)}`,
      `${(100 * single.bridge.ratio).toFixed(0)}%, ${single.check.pass ? 'all exported' : 'LOSS'}`,
      mark(single.bridge.ratio >= 0.5 && single.check.pass),
    ]);
  }
  for (const batch of results.filter((r) => r.name.startsWith('batch50'))) {
    lines.push([
      `50-event deliveries ≥ 100,000 events/s exported (${batch.name.slice('batch50-'.length)}${loadOf(batch)})`,
      `${n0(batch.bridge.eps)} events/s`,
      mark(batch.bridge.eps >= 100_000 && batch.check.pass),
    ]);
  }
  const rate = by('mix @');
  if (rate)
    lines.push([
      `p99 < 20 ms at ${RATE} req/s`,
      `p99 ${n1(rate.bridge.p99)} ms at ${n0(rate.bridge.rps)} req/s`,
      mark(rate.bridge.p99 < 20 && rate.check.pass && rate.bridge.rps >= RATE * 0.97),
    ]);
  const out = by('outage');
  if (results.length) {
    const peak = Math.max(...results.map((r) => r.bridge.peakMiB ?? 0));
    lines.push(['peak RSS < 300 MiB throughout' + (out ? ', outage included' : ''), `${n0(peak)} MiB`, mark(peak < 300)]);
  }
  if (out)
    lines.push([
      'outage: everything acknowledged exported after',
      `${out.check.pass ? 'PASS' : 'FAIL'}; ${n0(out.bridge.refused)} deliveries refused with 503; caught up ${n1(out.bridge.recoveryMs / 1000)} s after the load`,
      mark(out.check.pass),
    ]);
  if (stream) {
    const f = stream.fullspeed;
    const org = `${n0(stream.sizes.clients)}-client org${STREAM_SCALE === 1 ? '' : ` (--stream-scale=${STREAM_SCALE})`}`;
    lines.push([
      'stream: ≥ 20,000 device messages/s at full speed on one core',
      `${n0(f.dps)} device messages/s (bridge CPU ${n0(f.cpuPct)}%, its main thread ${n0(f.mainPct)}%)${stream.check.pass ? '' : ', CHECK FAILED'}`,
      mark(f.dps >= 20_000 && stream.check.pass),
    ]);
    lines.push([
      `stream: peak RSS < 300 MiB for the ${org}`,
      `${n0(stream.peakMiB)} MiB (realtime ${n0(stream.realtime.peakMiB)}, full speed ${n0(f.peakMiB)})`,
      mark(STREAM_SCALE === 1 ? stream.peakMiB < 300 : undefined),
    ]);
  }
  return lines;
}

/** Per scenario: what the zero-loss check compared, and what the bridge logged. */
function checkDetails(results, calibration, lists) {
  const out = [];
  for (const r of results) {
    out.push(`${r.name}${r.load ? ` (${r.load})` : ''}: zero loss ${r.check.pass ? 'PASS' : 'FAIL'}`);
    for (const l of r.check.lines) out.push(`  ${l}`);
    const notes = [...r.warnings].filter(([m]) => !m.startsWith('info')).map(([m, n]) => `${m} (x${n})`);
    if (notes.length) out.push(`  bridge said: ${notes.slice(0, 5).join('; ')}`);
  }
  const all = [...new Set(Object.values(lists).flat())];
  const none = calibration.size ? unchecked(all, calibration) : [];
  if (none.length) out.push(`not checkable (neither log records nor counts): ${none.join(', ')}`);
  return out.join('\n');
}

/** Which generator drove which scenarios. */
function loadDescription(info) {
  const parts = [];
  if (LOADS.includes('wrk'))
    parts.push(`${info.wrk} (${WRK_THREADS} threads; deliveries built and signed by bench/wrk-deliveries.lua) for the throughput scenarios`);
  parts.push(`autocannon ${LOADS.includes('autocannon') ? 'for every scenario' : 'for the fixed-rate ones'}`);
  return parts.join(', and ');
}

function writeReport(info, tbl, streamTbl, targetLines, receiverCpu, details) {
  const file = join(ROOT, 'BENCHMARKS.md');
  const START = '<!-- bench:results:start -->';
  const END = '<!-- bench:results:end -->';
  const pct = (x) => `${Math.max(0, 100 * x).toFixed(0)}%`;
  const busy = Math.max(info.othersBefore, info.othersDuring);
  const loaded = `${busy > 0.05 ? ' — **the machine was not idle**:' : ';'} other work used ${pct(info.othersBefore)} of its CPU in the 2 s before the run and ${pct(info.othersDuring)} during it`;
  const section = [
    START,
    '',
    `Run: ${info.date}, commit ${info.commit}${info.harnessCommit ? ` (measured by the harness of ${info.harnessCommit})` : ''}${loaded}.`,
    `Machine: ${info.cores} cores (${info.cpu}), ${info.memGiB.toFixed(1)} GiB memory, Node ${info.node}, Linux ${os.release()}.`,
    `Bridge: \`${envText()}node ${[...PRODUCTION_FLAGS, opt['bridge-flags']].filter(Boolean).join(' ')} dist/src/main.js\` (the image's ENV and CMD) on Node ${info.bridgeNode}, NODE_ENV=production, journal in a temporary directory, duplicate suppression off.`,
    ...(tbl
      ? [
          `Load: ${loadDescription(info)}; ${CONNECTIONS} connections, ${ROUNDS} alternating round(s) of ${SECONDS} s per server after a ${WARMUP_SECONDS} s warm-up.`,
        ]
      : []),
    ...(streamTbl
      ? [
          `Stream: the organisation replayed over a WebSocket by bench/stream-server.mjs (see "The stream scenario" above)${STREAM_SCALE === 1 ? '' : `, scaled by ${STREAM_SCALE}`}${OTLP_MAX_BODY_MIB ? `; the receiver refusing bodies over ${OTLP_MAX_BODY_MIB} MiB` : ''}.`,
        ]
      : []),
    `Export: OTLP ${opt.protocol} to a counting receiver in its own process (its CPU for the whole run: ${n1(receiverCpu / 1000)} s).`,
    ...(tbl ? ['', tbl.md] : []),
    ...(streamTbl ? ['', streamTbl.md] : []),
    '',
    '| target | result | |',
    '|---|---|---|',
    ...targetLines.map((l) => `| ${l.join(' | ')} |`),
    '',
    'Zero-loss check, per scenario (log records by count; events mapped to metrics by the counters that count them; for the stream, messages by count and the collections by content):',
    '',
    '```',
    details,
    '```',
    '',
    END,
  ].join('\n');
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\n' + START + '\n' + END + '\n';
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a >= 0 && b > a ? text.slice(0, a) + section + text.slice(b + END.length) : text + '\n' + section + '\n';
  writeFileSync(file, text);
  log(`wrote ${file}`);
}

// ------------------------------------------------------------------ main

/** How busy the machine is with work that is not ours, over `ms` (a share of all cores). */
async function othersBusy(ms) {
  const m0 = machineCpuMs();
  const o0 = ownCpuMs();
  await sleep(ms);
  const m1 = machineCpuMs();
  return (m1.busyMs - m0.busyMs - (ownCpuMs() - o0)) / (m1.totalMs - m0.totalMs);
}

async function main() {
  if (!existsSync(join(BRIDGE_DIR, 'dist/src/main.js'))) {
    throw new Error(`${join(BRIDGE_DIR, 'dist/src/main.js')} is missing: run \`npm run build\` there first (npm run bench builds only its own checkout)`);
  }
  const info = machine();
  info.othersBefore = await othersBusy(2000);
  const runStart = { machine: machineCpuMs(), own: ownCpuMs() };
  log(`${info.cores} cores, ${info.memGiB.toFixed(1)} GiB, Node ${info.node}, commit ${info.commit}, load ${info.load.map((x) => x.toFixed(2)).join(' ')}`);
  log(`other work on the machine before the run: ${(100 * info.othersBefore).toFixed(0)}% of ${info.cores} cores`);
  log(
    `bridge: ${envText()}${BRIDGE_NODE} (${info.bridgeNode}) ${[...PRODUCTION_FLAGS, opt['bridge-flags']].filter(Boolean).join(' ')} dist/src/main.js in ${BRIDGE_DIR}`,
  );
  log(`load: ${loadDescription(info)}`);
  if (opt.profile) {
    rmSync(PROFILE_DIR, { recursive: true, force: true });
    mkdirSync(PROFILE_DIR, { recursive: true });
  }
  const workDir = mkdtempSync(join(os.tmpdir(), 'mist-bench-load-'));
  WRK_PLAN = join(workDir, 'wrk-plan.lua');
  const receiver = await Receiver.start();
  const floor = await Floor.start();
  const results = [];
  try {
    const lists = Object.fromEntries(Object.entries(MIXES).map(([name, mix]) => [name, deliveries(mix, SECRET)]));
    const kinds = [...new Set(Object.values(lists).flat())];
    let calibration = new Map();
    if (WEBHOOKS) {
      if (LOADS.includes('wrk')) {
        const check = await checkWrk({ bin: WRK_BIN, deliveries: kinds, secret: SECRET, path: PATH, planFile: WRK_PLAN });
        log(`wrk check: ${check.summary}`);
        WRK_UNSENT = check.unsent;
      }
      log(`calibrating: log records per delivery for ${kinds.length} kinds`);
      calibration = await calibrate(receiver, kinds);
    }
    const ctx = { receiver, floor, calibration };
    for (const name of Object.keys(MIXES)) {
      if (!SCENARIOS.has(name)) continue;
      for (const loadName of LOADS) results.push(await throughput(ctx, name, lists[name], loadName));
    }
    if (SCENARIOS.has('rate')) results.push(await fixedRate(ctx, lists.mix));
    if (SCENARIOS.has('outage')) results.push(await outage(ctx, lists.mix));
    const stream = SCENARIOS.has('stream')
      ? await streamScenario({
          receiver,
          startBridge: (options) => Bridge.start(receiver, options),
          quick: opt.quick,
          profile: opt.profile,
          scale: STREAM_SCALE,
          maxBodyMiB: OTLP_MAX_BODY_MIB,
          log,
        })
      : undefined;
    const receiverCpu = (await receiver.stats()).cpuMs;
    // Everything the machine did during the run that was not this run (its own processes).
    const runEnd = machineCpuMs();
    const ours = ownCpuMs() - runStart.own + receiverCpu + cpuMs(floor.pid);
    info.othersDuring = (runEnd.busyMs - runStart.machine.busyMs - ours) / (runEnd.totalMs - runStart.machine.totalMs);

    const tbl = results.length ? table(results) : undefined;
    const streamTbl = stream ? streamTable(stream) : undefined;
    const targetLines = targets(results, stream);
    if (tbl) process.stdout.write(`\n${tbl.text}\n`);
    if (streamTbl) process.stdout.write(`\n${streamTbl.text}\n`);
    process.stdout.write('\n');
    for (const l of targetLines) process.stdout.write(`${l[2].padEnd(8)} ${l[0]}: ${l[1]}\n`);
    const details = checkDetails(stream ? [...results, stream] : results, ctx.calibration, lists);
    process.stdout.write(`\n${details}\n`);
    mkdirSync(join(ROOT, '.bench'), { recursive: true });
    writeFileSync(join(ROOT, '.bench', 'last-run.txt'), `${[tbl?.text, streamTbl?.text].filter(Boolean).join('\n\n')}\n\n${details}\n`);
    process.stdout.write(
      `\nreceiver CPU for the whole run: ${n1(receiverCpu / 1000)} s; other work on the machine: ${Math.max(0, 100 * info.othersBefore).toFixed(0)}% before, ${Math.max(0, 100 * info.othersDuring).toFixed(0)}% during the run\n`,
    );

    let profileText;
    if (opt.profile) {
      const parts = [];
      for (const f of readdirSync(PROFILE_DIR).filter((x) => x.endsWith('.cpuprofile'))) {
        parts.push(`== ${f}\n${formatSummary(summarizeProfile(JSON.parse(readFileSync(join(PROFILE_DIR, f), 'utf8'))))}`);
      }
      profileText = parts.join('\n\n');
      process.stdout.write(`\n${profileText}\n`);
    }
    if (!opt['no-write'] && !opt.profile && !opt.quick) writeReport(info, tbl, streamTbl, targetLines, receiverCpu, details);
    const allPass = results.every((r) => r.check.pass) && (stream?.check.pass ?? true);
    process.stdout.write(`\n${allPass ? 'PASS' : 'FAIL'}: zero loss in every scenario\n`);
    process.exitCode = allPass ? 0 : 1;
  } finally {
    await Promise.all([...liveBridges].map((b) => b.stop()));
    receiver.stop();
    floor.stop();
    await Promise.all([receiver.child, floor.child].map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`[bench] ${err.stack ?? err}\n`);
  process.exit(1);
});
