// The stream scenario of `npm run bench` (--scenarios=stream): a real bridge process streaming a
// large organisation's statistics from Mist's WebSocket API, here a local stand-in
// (stream-server.mjs, its own process), exporting to the counting receiver (receiver.mjs).
//
// The organisation (stream-org.mjs): 5,000 APs, 500 switches, 100 gateways on 250 sites and
// 50,000 wireless clients. The bridge runs stream-only (MIST_BRIDGE_WEBHOOK=false), with
// MIST_API_TOKEN, MIST_API_URL and MIST_WS_URL pointing at the stand-in and no MIST_ORG_ID (the
// org comes from GET /self): it lists the sites (three pages of 100), subscribes both channels
// of each and maps what arrives through mappings/stream-*.yaml. Two phases on one bridge:
//
// (a) realtime: the organisation at its real rates (each device every 25 s, an AP's basic
//     message before its full one: ~424 device messages/s; each client every 60 s: ~833/s), the
//     metric export at its default interval (60 s). It lasts until a collection arrives after
//     the minimum time (one client round at least, so every client has reported); its figures
//     are taken between the first and the last collection it saw, the steady state with a
//     collection's work in it for every minute.
// (b) fullspeed: device rounds back to back, as fast as the bridge reads its socket, right after
//     a collection (so none falls in it); the rate is the bridge's own count of messages over the
//     measured seconds, after a warm-up.
//
// What arrives is checked (the bench's zero-loss check for this scenario): every message the
// stand-in sent counted by the bridge, none undecodable; and the last collection of each phase
// (the second one the shutdown's final flush) holds every device with its identity, every series
// of every device where its metric is within the series budget and the budget's worth plus one
// overflow series where it is not, and client counts and RSSI/SNR distributions equal to the
// simulated clients of each site, SSID and band. How many series a device of each kind yields is
// the mapping's business: it is measured first on a bridge fed one device of each kind
// (calibration), as the webhook scenarios measure their deliveries' yields.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMs, memory, resetPeak, watchMemory } from './proc.mjs';
import { CLIENT_ROUND_SECONDS, FULL_ORG, ORG_ID, scaledOrg } from './stream-org.mjs';

const TOKEN = 'bench-stream-token-3c81d0e5';
// README "Series budget": series per metric; past it, new series share one overflow series.
export const SERIES_BUDGET = 10_000;
// The bridge's metric export interval (OTEL_METRIC_EXPORT_INTERVAL's default), which phase (a) keeps.
const COLLECTION_SECONDS = 60;
// The metrics whose value per site, SSID and band is the number of clients reporting there.
const CLIENT_COUNTS = ['mist.client.count', 'mist.client.rssi', 'mist.client.snr'];
const CALIBRATION_ORG = { aps: 1, switches: 1, gateways: 1, clients: 6, sites: 1 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;

class StreamServer {
  static async start() {
    const child = fork(fileURLToPath(new URL('./stream-server.mjs', import.meta.url)), [], {
      env: { ...process.env, BENCH_MIST_TOKEN: TOKEN },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`stream-server.mjs exited with ${code} before it was ready`)));
      child.once('message', (m) => (m.type === 'ready' ? resolve(m.port) : reject(new Error(JSON.stringify(m)))));
    });
    return new StreamServer(child, port);
  }
  constructor(child, port) {
    this.child = child;
    this.pid = child.pid;
    this.url = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/api-ws/v1/stream`;
    this.nextId = 0;
    this.waiting = new Map();
    child.on('message', (m) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(`stream server: ${m.error}`));
      else w.resolve(m);
    });
  }
  call(msg) {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...msg, id });
    });
  }
  async stop() {
    this.child.disconnect();
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}

/** The bridge's environment for the stream (added to the harness's own). */
function streamEnv(server, extra = {}) {
  return { MIST_BRIDGE_WEBHOOK: 'false', MIST_BRIDGE_SLE: 'false', MIST_API_TOKEN: TOKEN, MIST_API_URL: server.url, MIST_WS_URL: server.wsUrl, ...extra };
}

/** The bridge's own figures from its /metrics: stream messages by kind, parse and subscription failures, metric export time. */
async function scrape(bridge) {
  const res = await fetch(`${bridge.url}/metrics`);
  const text = await res.text();
  if (!res.ok) throw new Error(`the bridge's /metrics answered ${res.status}`);
  const sum = (re, filter = () => true) => [...text.matchAll(re)].filter((m) => filter(m[1])).reduce((n, m) => n + Number(m[2]), 0);
  const messages = (kind) => sum(/^mist_bridge_stream_messages_total\{([^}]*)\} (\S+)$/gm, (labels) => labels.includes(`mist_stream_kind="${kind}"`));
  const metricsExport = (what) =>
    sum(new RegExp(`^mist_bridge_export_duration_seconds_${what}\\{([^}]*)\\} (\\S+)$`, 'gm'), (labels) => labels.includes('signal="metrics"'));
  return {
    devices: messages('stats/devices'),
    clients: messages('stats/clients'),
    parseFailures: sum(/^mist_bridge_stream_parse_failures_total\{([^}]*)\} (\S+)$/gm),
    subscriptionFailures: sum(/^mist_bridge_stream_subscription_failures_total\{([^}]*)\} (\S+)$/gm),
    exportSeconds: metricsExport('sum'),
    exports: metricsExport('count'),
    exportFailures: sum(/^mist_bridge_export_failures_total\{([^}]*)\} (\S+)$/gm, (labels) => labels.includes('signal="metrics"')),
  };
}

/** A moment of the bridge's life: time, its CPU (process and main thread), its counts, the receiver's collections, the stand-in's CPU. */
async function mark(bridge, receiver, server) {
  const [counts, stats] = await Promise.all([scrape(bridge), receiver.stats()]);
  return {
    at: performance.now(),
    wall: Date.now(),
    cpuMs: cpuMs(bridge.pid),
    mainCpuMs: cpuMs(bridge.pid, { mainThread: true }),
    serverCpuMs: cpuMs(server.pid),
    ...counts,
    collections: stats.collections,
  };
}

async function until(what, predicate, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`stream: timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function subscribed(server, sites) {
  await until(`the bridge to subscribe ${2 * sites} channels`, async () => (await server.call({ type: 'stats' })).subscribed === 2 * sites, 60_000);
}

/** Between two marks: rates, CPU and what the collections in between carried. */
function between(a, b) {
  const seconds = (b.at - a.at) / 1000;
  const devices = b.devices - a.devices;
  const clients = b.clients - a.clients;
  const messages = devices + clients;
  const cpu = b.cpuMs - a.cpuMs;
  const main = b.mainCpuMs - a.mainCpuMs;
  const exports = b.exports - a.exports;
  return {
    seconds,
    devices,
    clients,
    messages,
    mps: messages / seconds,
    dps: devices / seconds,
    cpuPct: (100 * cpu) / 1000 / seconds,
    mainPct: (100 * main) / 1000 / seconds,
    serverPct: (100 * (b.serverCpuMs - a.serverCpuMs)) / 1000 / seconds,
    cpuUs: (1000 * cpu) / messages,
    mainCpuUs: (1000 * main) / messages,
    collections: b.collections.count - a.collections.count,
    pointsPerSecond: (b.collections.points - a.collections.points) / seconds,
    exportMs: exports > 0 ? (1000 * (b.exportSeconds - a.exportSeconds)) / exports : undefined,
  };
}

// ------------------------------------------------------------------ calibration

/**
 * Points per device of each kind, per metric, and per site/SSID/band group for the client
 * metrics, as the bridge exports them for one device of each kind and a few clients.
 */
async function calibrate(server, receiver, startBridge, log) {
  const org = await server.call({ type: 'org', sizes: CALIBRATION_ORG });
  const groups = Object.keys(org.clientGroups).length;
  const bridge = await startBridge({ label: 'stream-calibration', extraEnv: streamEnv(server, { OTEL_METRIC_EXPORT_INTERVAL: '200' }) });
  try {
    await subscribed(server, CALIBRATION_ORG.sites);
    const before = (await receiver.stats()).collections.count;
    await server.call({ type: 'burst', deviceRounds: 1, clientRounds: 1 });
    // Settled: two collections after the burst with the same number of points.
    let previous;
    const digest = await until(
      'the calibration bridge to export the calibration org',
      async () => {
        const s = await receiver.stats();
        if (s.collections.count < before + 2) return undefined;
        const { collection } = await receiver.collection();
        const settled = previous !== undefined && previous.points === collection.points && Object.keys(collection.devices).length === org.devices.length;
        previous = collection;
        return settled ? collection : undefined;
      },
      20_000,
      300,
    );
    const perDevice = {}; // metric → type → points per device
    const perGroup = {}; // metric → points per client group
    for (const [metric, { points, overflow }] of Object.entries(digest.metrics)) {
      if (overflow) throw new Error(`stream calibration: ${metric} has an overflow series for ${org.devices.length} devices`);
      const types = digest.byType[metric];
      if (types) {
        for (const [type, hist] of Object.entries(types)) {
          const [[n, devices]] = Object.entries(hist);
          if (Object.keys(hist).length !== 1 || devices !== 1) throw new Error(`stream calibration: ${metric} ${type}: ${JSON.stringify(hist)}`);
          (perDevice[metric] ??= {})[type] = Number(n);
        }
      } else {
        if (points % groups !== 0) throw new Error(`stream calibration: ${metric} has ${points} points for ${groups} client groups`);
        perGroup[metric] = points / groups;
      }
    }
    for (const type of new Set(org.devices.map((d) => d.type))) {
      if (!Object.values(perDevice).some((t) => t[type])) throw new Error(`stream calibration: a ${type} yields no series`);
    }
    for (const m of CLIENT_COUNTS) if (!perGroup[m]) throw new Error(`stream calibration: no ${m} point per client group`);
    log(
      `stream calibration: ${Object.keys(perDevice).length} device metrics, ${Object.keys(perGroup).length} client metrics; series per device: ${['ap', 'switch', 'gateway'].map((t) => `${t} ${Object.values(perDevice).reduce((n, m) => n + (m[t] ?? 0), 0)}`).join(', ')}`,
    );
    return { perDevice, perGroup };
  } finally {
    await bridge.stop();
  }
}

// ------------------------------------------------------------------ checks

/** What a collection of the whole organisation must hold, given the calibration. */
function expectation(org, calibration) {
  const countByType = {};
  for (const d of org.devices) countByType[d.type] = (countByType[d.type] ?? 0) + 1;
  const groups = Object.keys(org.clientGroups).length;
  const metrics = {};
  for (const [metric, byType] of Object.entries(calibration.perDevice)) {
    const total = Object.entries(byType).reduce((n, [type, per]) => n + per * (countByType[type] ?? 0), 0);
    metrics[metric] = { total, byType, overBudget: total > SERIES_BUDGET };
  }
  for (const [metric, per] of Object.entries(calibration.perGroup)) metrics[metric] = { total: per * groups, overBudget: per * groups > SERIES_BUDGET };
  return { countByType, metrics };
}

/** Checks one collection's digest against the organisation; returns { pass, lines }. */
function checkCollection(label, digest, org, expected) {
  const lines = [];
  let pass = true;
  const check = (ok, text) => {
    pass &&= ok;
    lines.push(`${ok ? 'ok  ' : 'FAIL'} ${label}: ${text}`);
  };
  if (!digest) {
    check(false, 'no collection of mapped metrics arrived');
    return { pass, lines };
  }
  const missing = [];
  const wrong = [];
  for (const d of org.devices) {
    const identity = digest.devices[d.mac];
    if (identity === undefined) missing.push(d.mac);
    else if (identity !== `${d.type}|${d.site}|${d.name}|${ORG_ID}`) wrong.push(`${d.mac}: ${identity}`);
  }
  const extra = Object.keys(digest.devices).length - (org.devices.length - missing.length);
  check(
    missing.length === 0 && wrong.length === 0 && extra === 0 && digest.identityConflicts === 0,
    `${org.devices.length - missing.length} of ${org.devices.length} devices exported with their type, site, name and org` +
      (missing.length ? `; missing ${missing.length} (${missing.slice(0, 3).join(', ')}…)` : '') +
      (wrong.length ? `; wrong identity ${wrong.length} (${wrong.slice(0, 2).join('; ')})` : '') +
      (extra ? `; ${extra} devices not in the org` : '') +
      (digest.identityConflicts ? `; ${digest.identityConflicts} points with another identity than their device's other points` : ''),
  );
  const within = [];
  const over = [];
  for (const [metric, e] of Object.entries(expected.metrics)) {
    const got = digest.metrics[metric] ?? { points: 0, overflow: 0 };
    if (e.overBudget) {
      over.push(metric);
      if (got.points !== SERIES_BUDGET || got.overflow !== 1)
        check(
          false,
          `${metric}: ${got.points} series and ${got.overflow} overflow series, where ${e.total} series are over the budget of ${SERIES_BUDGET} (expected ${SERIES_BUDGET} and 1)`,
        );
      continue;
    }
    within.push(metric);
    let ok = got.points === e.total && got.overflow === 0;
    for (const [type, per] of Object.entries(e.byType ?? {})) {
      const hist = digest.byType[metric]?.[type] ?? {};
      ok &&= Object.keys(hist).length === 1 && hist[per] === expected.countByType[type];
    }
    if (!ok)
      check(
        false,
        `${metric}: ${got.points} series (${got.overflow} overflow), expected ${e.total}${
          e.byType
            ? ` (${Object.entries(e.byType)
                .map(([t, n]) => `${n} per ${t}`)
                .join(', ')}); points per device: ${JSON.stringify(digest.byType[metric] ?? {})}`
            : ''
        }`,
      );
  }
  const unexpected = Object.keys(digest.metrics).filter((m) => !expected.metrics[m]);
  if (unexpected.length) check(false, `metrics the calibration did not yield: ${unexpected.join(', ')}`);
  if (pass)
    check(
      true,
      `${within.length} metrics with every series of every device or client group (${Object.values(expected.metrics)
        .filter((e) => !e.overBudget)
        .reduce((n, e) => n + e.total, 0)
        .toLocaleString(
          'en-US',
        )} series); ${over.length} over the budget with ${SERIES_BUDGET.toLocaleString('en-US')} series and an overflow series each (${over.join(', ')})`,
    );
  for (const metric of CLIENT_COUNTS) {
    const values = digest.clients[metric] ?? {};
    const bad = Object.entries(org.clientGroups).filter(([key, n]) => values[key] !== n);
    const extraGroups = Object.keys(values).filter((k) => !(k in org.clientGroups));
    check(
      bad.length === 0 && extraGroups.length === 0,
      `${metric}: ${Object.keys(org.clientGroups).length - bad.length} of ${Object.keys(org.clientGroups).length} site/SSID/band groups hold exactly their simulated clients` +
        (bad.length
          ? `; wrong: ${bad
              .slice(0, 3)
              .map(([k, n]) => `${k} ${values[k] ?? 'absent'} (expected ${n})`)
              .join(', ')}`
          : '') +
        (extraGroups.length ? `; ${extraGroups.length} groups not simulated` : ''),
    );
  }
  return { pass, lines };
}

// ------------------------------------------------------------------ the scenario

/**
 * Runs the scenario. `startBridge({ label, extraEnv, profile })` starts a bridge exporting to
 * `receiver` (the harness's Bridge.start); options: quick, profile, scale (of the organisation),
 * maxBodyMiB (the receiver refuses larger bodies, as a collector does), log.
 */
export async function streamScenario({ receiver, startBridge, quick, profile, scale = 1, maxBodyMiB = 0, log }) {
  const sizes = scale === 1 ? FULL_ORG : scaledOrg(scale);
  // Phase (a) at least this long, then until a collection arrives that was taken after every device and client had reported.
  const minRealtimeSeconds = quick ? CLIENT_ROUND_SECONDS : 2 * COLLECTION_SECONDS + 30;
  const fullspeed = quick ? { warmup: 2, measured: 8 } : { warmup: 3, measured: 20 };
  const server = await StreamServer.start();
  const lines = [];
  let pass = true;
  let bridge;
  try {
    const calibration = await calibrate(server, receiver, startBridge, log);
    const org = await server.call({ type: 'org', sizes });
    const expected = expectation(org, calibration);
    if (maxBodyMiB > 0) receiver.limit(maxBodyMiB * 2 ** 20);
    log(
      `stream: ${sizes.aps} APs, ${sizes.switches} switches, ${sizes.gateways} gateways, ${sizes.clients} clients on ${sizes.sites} sites; ${org.devicesPerRound} device messages every 25 s, ${sizes.clients} client messages every 60 s`,
    );
    bridge = await startBridge({ label: 'stream', extraEnv: streamEnv(server), profile });
    const warnings = bridge.warnings;
    await subscribed(server, sizes.sites);
    const receiverStart = await receiver.stats();

    // (a) realtime
    resetPeak(bridge.pid);
    const memA = watchMemory(bridge.pid);
    const started = await mark(bridge, receiver, server);
    const realtimeDone = server.call({ type: 'realtime' });
    const marks = [];
    // The RSS between collections (its median) tells the state held from the collections' own peaks.
    const rssKiB = [];
    let seen = started.collections.count;
    // When the bridge had read one whole round of every device and every client: a collection
    // taken after that holds the whole organisation.
    let wholeAt;
    let lastScrape = 0;
    let end;
    for (;;) {
      await sleep(200);
      rssKiB.push(memory(bridge.pid)?.rssKiB ?? 0);
      if (performance.now() - started.at > (minRealtimeSeconds + 2 * COLLECTION_SECONDS + 15) * 1000) {
        end = await mark(bridge, receiver, server);
        break;
      }
      if (wholeAt === undefined && performance.now() - lastScrape > 1000) {
        lastScrape = performance.now();
        const c = await scrape(bridge);
        if (c.devices - started.devices >= org.devicesPerRound && c.clients - started.clients >= sizes.clients) wholeAt = Date.now();
      }
      const s = await receiver.stats();
      if (s.collections.count === seen) continue;
      seen = s.collections.count;
      const m = await mark(bridge, receiver, server);
      const previous = marks.at(-1) ?? started;
      marks.push(m);
      // Taken at the latest when it arrived less what the bridge spent collecting and exporting it
      // (less a margin for this loop's polling).
      const exportMs = m.exports > previous.exports ? (1000 * (m.exportSeconds - previous.exportSeconds)) / (m.exports - previous.exports) : 0;
      const whole = wholeAt !== undefined && m.wall - exportMs - 2000 >= wholeAt;
      log(
        `stream realtime: collection ${marks.length} after ${((m.at - started.at) / 1000).toFixed(0)} s: ${m.collections.lastPoints.toLocaleString('en-US')} points, ${(m.collections.lastBytes / 2 ** 20).toFixed(1)} MiB${whole ? '' : ' (taken before the whole organisation had reported)'}`,
      );
      if (whole && m.at - started.at >= minRealtimeSeconds * 1000) {
        end = m;
        break;
      }
    }
    await server.call({ type: 'stop-realtime' });
    const sentA = await realtimeDone;
    const realtime = {
      ...between(marks.length >= 2 ? marks[0] : started, end),
      peakMiB: memA.stop() / 1024,
      medianMiB: median(rssKiB) / 1024,
      bytes: marks.length ? end.collections.lastBytes : undefined,
      points: marks.length ? end.collections.lastPoints : undefined,
    };
    if (end !== marks.at(-1)) {
      pass = false;
      const refused = (await receiver.stats()).tooLarge - receiverStart.tooLarge;
      lines.push(
        `FAIL realtime: no collection of the whole organisation arrived (${marks.length} collections in ${((end.at - started.at) / 1000).toFixed(0)} s${wholeAt === undefined ? '; the bridge never read a whole round' : ''}${refused ? `; the receiver refused ${refused} requests over ${maxBodyMiB} MiB` : ''})`,
      );
    }
    const { collection: lastA } = await receiver.collection();
    const a = checkCollection('realtime, last collection', lastA?.at > started.wall ? lastA : undefined, org, expected);
    pass &&= a.pass;
    lines.push(...a.lines);
    log(
      `stream realtime: ${realtime.mps.toFixed(0)} messages/s, CPU ${realtime.cpuPct.toFixed(1)} %, ${realtime.cpuUs.toFixed(0)} µs per message (sent ${sentA.devices} device and ${sentA.clients} client messages)`,
    );

    // (b) fullspeed, right after a collection: the next one is a whole interval away.
    resetPeak(bridge.pid);
    const memB = watchMemory(bridge.pid);
    const pumping = server.call({ type: 'fullspeed', seconds: fullspeed.warmup + fullspeed.measured + 1 });
    await sleep(fullspeed.warmup * 1000);
    const b0 = await mark(bridge, receiver, server);
    await sleep(fullspeed.measured * 1000);
    const b1 = await mark(bridge, receiver, server);
    const sentB = await pumping;
    const full = { ...between(b0, b1), peakMiB: memB.stop() / 1024 };
    if (full.collections > 0) lines.push(`note fullspeed: ${full.collections} collection(s) fell in the measured seconds`);
    log(
      `stream fullspeed: ${full.dps.toFixed(0)} device messages/s, CPU ${full.cpuPct.toFixed(0)} %, ${full.cpuUs.toFixed(1)} µs per message (main thread ${full.mainCpuUs.toFixed(1)}); ${sentB.devices} sent`,
    );

    // Nothing lost on the way: every message sent was counted by the bridge, none undecodable.
    const sent = (await server.call({ type: 'stats' })).sent;
    const counted = await until(
      'the bridge to read every message sent',
      async () => {
        const c = await scrape(bridge);
        return c.devices + c.clients >= sent.devices + sent.clients ? c : undefined;
      },
      60_000,
    );
    const okCounts =
      counted.devices === sent.devices &&
      counted.clients === sent.clients &&
      sent.unsubscribed === 0 &&
      counted.parseFailures === 0 &&
      counted.subscriptionFailures === 0;
    pass &&= okCounts;
    lines.push(
      `${okCounts ? 'ok  ' : 'FAIL'} messages: ${sent.devices} device and ${sent.clients} client messages sent, ${counted.devices} and ${counted.clients} received by the bridge` +
        `, ${counted.parseFailures} undecodable, ${counted.subscriptionFailures} subscription failures${sent.unsubscribed ? `, ${sent.unsubscribed} not sent (channel not subscribed)` : ''}`,
    );
    if (counted.exportFailures > 0) lines.push(`note metric points in failed exports: ${counted.exportFailures}`);

    // The shutdown's final flush exports the last collection: the fullspeed phase's state.
    const exit = await bridge.stop();
    bridge = undefined;
    const exitOk = exit.code === 0;
    pass &&= exitOk;
    lines.push(`${exitOk ? 'ok  ' : 'FAIL'} the bridge stopped (exit code ${exit.code ?? exit.signal})`);
    const stats = await receiver.stats();
    const { collection: last } = await receiver.collection();
    const final = checkCollection('final collection', last?.at > b1.wall ? last : undefined, org, expected);
    pass &&= final.pass;
    lines.push(...final.lines);
    const receiverOk = stats.mismatches === receiverStart.mismatches && stats.bad === receiverStart.bad;
    if (!receiverOk)
      lines.push(`FAIL receiver: ${stats.mismatches - receiverStart.mismatches} count mismatches, ${stats.bad - receiverStart.bad} undecodable exports`);
    if (stats.tooLarge > receiverStart.tooLarge)
      lines.push(`FAIL receiver: ${stats.tooLarge - receiverStart.tooLarge} requests refused as larger than ${maxBodyMiB} MiB (the collector's limit)`);
    pass &&= receiverOk && stats.tooLarge === receiverStart.tooLarge;
    return {
      name: 'stream',
      sizes,
      realtime,
      fullspeed: full,
      peakMiB: Math.max(realtime.peakMiB, full.peakMiB),
      check: { pass, lines, exit },
      warnings,
    };
  } finally {
    if (bridge) await bridge.stop();
    if (maxBodyMiB > 0) receiver.limit(0);
    await server.stop();
  }
}
