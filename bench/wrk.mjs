// wrk, a native load generator, driving the benchmark's deliveries (wrk-deliveries.lua).
//
// autocannon sends and parses HTTP in JavaScript, in the harness process; on a small machine its
// own CPU is then what limits the floor. wrk does that in C, and the script builds each signed
// delivery with the bodies and rules of mist-payloads/webhook.mjs (checked against it by checkWrk
// before a run), so the servers get the same load for less of the client's CPU.
//
// What wrk cannot say: which of the deliveries it built were answered 2xx (it counts answers
// and answers over 399, not per delivery, and counting in a Lua response() callback would make
// wrk copy every response's headers and body into Lua). The harness takes what the bridge
// acknowledged from the bridge itself (its /metrics); see run.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from '../mist-payloads/sign.mjs';
import { fillSlots, POPULATION, SLOT_KINDS } from '../mist-payloads/webhook.mjs';

const SCRIPT = fileURLToPath(new URL('./wrk-deliveries.lua', import.meta.url));

/** The wrk executable on PATH, or undefined. */
export function findWrk() {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, 'wrk');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** `wrk 4.1.0 [epoll]`, as wrk -v says it (first line). */
export function wrkVersion(bin) {
  const out = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return (out.stdout || out.stderr || '')
    .split('\n')[0]
    .replace(/\s+Copyright.*$/, '')
    .trim();
}

/** A Lua string literal holding `buf` byte for byte. */
function luaString(buf) {
  let out = '"';
  for (const b of buf) {
    out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** The plan wrk-deliveries.lua reads: the kinds of `list` (deliveries) and the order to send them in. */
function planSource(list, { secret, path, host }) {
  const kinds = [...new Set(list)];
  const kindSource = (d) =>
    `{ template = ${luaString(d.template)}, salt = ${d.salt}, slots = { ${d.slots.map((s) => `{ ${s.at}, "${s.kind}" }`).join(', ')} } }`;
  return [
    'return {',
    `  secret = ${luaString(Buffer.from(secret))},`,
    `  path = ${luaString(Buffer.from(path))},`,
    `  host = ${luaString(Buffer.from(host))},`,
    `  population = { ${Object.entries(POPULATION)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ')} },`,
    `  kinds = {\n    ${kinds.map(kindSource).join(',\n    ')}\n  },`,
    `  order = { ${list.map((d) => kinds.indexOf(d) + 1).join(', ')} },`,
    '}',
    '',
  ].join('\n');
}

// Every wrk run takes its own range of sequence numbers, far above those mist-payloads/webhook.mjs
// hands out in the same run, so no two deliveries of a run are the same whichever generator built
// them.
const SEQ_BASE = 2 ** 40;
const SEQ_PER_RUN = 2 ** 34;
let runs = 0;

/**
 * One wrk run against `url` + `path`, cycling through `list` (deliveries): `seconds` whole
 * seconds, `connections` over `threads` threads. Returns wrk's counts and latencies, the
 * deliveries built per place in `list`, and wrk's CPU time.
 */
export async function runWrk({ bin, url, path, list, secret, seconds, connections, threads, planFile, env = {} }) {
  const { host } = new URL(url);
  writeFileSync(planFile, planSource(list, { secret, path, host }));
  const args = [
    '-t',
    String(threads),
    '-c',
    String(connections),
    '-d',
    `${Math.max(1, Math.round(seconds))}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    `${url}${path}`,
  ];
  const child = spawn(bin, args, {
    env: {
      ...process.env,
      BENCH_WRK_PLAN: planFile,
      BENCH_WRK_THREADS: String(threads),
      BENCH_WRK_SEQ: String(SEQ_BASE + SEQ_PER_RUN * runs++),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH-WRK '));
  if (code !== 0 || !line) throw new Error(`wrk ${args.join(' ')} exited with ${code}:\n${stderr}${stdout}`);
  const r = JSON.parse(line.slice('BENCH-WRK '.length));
  if (r.built.length !== list.length) throw new Error(`wrk built deliveries for ${r.built.length} places of ${list.length}`);
  return r;
}

// The slots that hold the time, and how many of their bytes do (tsstr ends with three digits
// of the sequence number).
const TIME_SLOTS = { ts: SLOT_KINDS.ts.width, tsf: SLOT_KINDS.tsf.width, tsms: SLOT_KINDS.tsms.width, tsstr: SLOT_KINDS.tsstr.width - 3 };
const timeMs = (kind, text) => (kind === 'tsms' ? Number(text) : Number(text) * 1000);

/**
 * Runs wrk with the script for a second against a capturing server and checks what it sent against
 * mist-payloads/webhook.mjs: every byte of every body the same as the JavaScript generator's for
 * the same sequence numbers (times excepted, which must be the clock's), the signature right, and
 * the request headers the ones autocannon sends. Throws on any difference. Returns a line for the
 * log, and how many requests wrk built before it started sending (`unsent`: it builds one on its
 * first thread to check the script's requests, and never sends it).
 */
export async function checkWrk({ bin, deliveries, secret, path, planFile }) {
  const kinds = [...new Set(deliveries)];
  const wanted = 4 * kinds.length;
  const got = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (got.length < wanted) got.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const seq = 7 * SEQ_BASE; // a range no round reaches
  const t0 = Date.now();
  try {
    await runWrk({
      bin,
      url: `http://127.0.0.1:${server.address().port}`,
      path,
      list: kinds,
      secret,
      seconds: 1,
      connections: 1,
      threads: 1,
      planFile,
      env: { BENCH_WRK_SEQ: String(seq) },
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  const t1 = Date.now();
  if (got.length < wanted) throw new Error(`wrk check: only ${got.length} requests arrived in a second`);

  // What mist-payloads/webhook.mjs makes of the same sequence numbers, request after request (times aside).
  const expected = [];
  let next = seq;
  for (let i = 0; expected.length < wanted + 2; i++) {
    const d = kinds[i % kinds.length];
    const body = Buffer.from(d.template);
    next = fillSlots(body, d.slots, next, t0, d.salt);
    expected.push({ d, body });
  }
  const sameButTime = (e, body) => {
    if (e.body.length !== body.length) return false;
    const mine = Buffer.from(e.body);
    for (const s of e.d.slots) if (TIME_SLOTS[s.kind]) body.copy(mine, s.at, s.at, s.at + TIME_SLOTS[s.kind]);
    return mine.equals(body);
  };
  const skip = [0, 1, 2].find((o) => sameButTime(expected[o], got[0].body));
  if (skip === undefined)
    throw new Error(`wrk check: the first body wrk sent is none mist-payloads/webhook.mjs would have built:\n${got[0].body.toString().slice(0, 400)}`);
  got.forEach((g, j) => {
    const e = expected[j + skip];
    const what = `wrk check, request ${j + 1} (${e.d.topic} x${e.d.events})`;
    if (g.method !== 'POST' || g.url !== path) throw new Error(`${what}: ${g.method} ${g.url}`);
    if (g.headers['content-type'] !== 'application/json' || g.headers['user-agent'] !== 'Mist-webhook')
      throw new Error(`${what}: headers ${JSON.stringify(g.headers)}`);
    if (!sameButTime(e, g.body)) throw new Error(`${what}: the body differs from mist-payloads/webhook.mjs's`);
    if (g.headers['x-mist-signature-v2'] !== sign(g.body, secret)) throw new Error(`${what}: wrong signature`);
    for (const s of e.d.slots) {
      if (!TIME_SLOTS[s.kind]) continue;
      const ms = timeMs(s.kind, g.body.toString('latin1', s.at, s.at + TIME_SLOTS[s.kind]));
      if (!(ms >= t0 - 2000 && ms <= t1 + 2000)) throw new Error(`${what}: ${s.kind} slot is not the clock's time`);
    }
  });
  return {
    unsent: skip,
    summary: `${got.length} requests of ${kinds.length} kinds built by wrk-deliveries.lua are those of mist-payloads/webhook.mjs, byte for byte, and signed; wrk built ${skip} before it started sending`,
  };
}
