/**
 * The compose profile `demo` fills every dashboard: deploy/demo/send-deliveries.mjs posts signed
 * webhook deliveries and deploy/demo/mist-stand-in.mjs stands in for Mist's REST and WebSocket
 * APIs. Both run here as the containers run them (plain `node <file>`, configured by the same
 * variables) against a real bridge: the deliveries are all accepted, the bridge finds the org and
 * its sites over REST and streams their statistics, and every metric the dashboards query (but
 * the bridge's counters of failures: nothing fails), the logs they filter and the session traces
 * they list come out of it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardFiles, queriesOf, readDashboard } from './dashboards.js';
import { type Emitted, emittedBy, STREAM_METRICS } from './emitted.js';
import { promRefs } from './queries.js';
import { repoPath } from './repo.js';
import { FAILURE_COUNTERS } from './trouble.js';

const SECRET = 'demo-secret';
const TOKEN = 'demo-stand-in-token';

let emitted: Emitted;
let output = '';
let exitCode: number | null = null;
let standIn: ChildProcess | undefined;
let standInOutput = '';

/** Starts mist-stand-in.mjs as a program on a free port; resolves with its REST and stream URLs. */
async function startStandInProgram(): Promise<{ url: string; wsUrl: string }> {
  standIn = spawn(process.execPath, [repoPath('deploy/demo/mist-stand-in.mjs')], {
    env: { PATH: process.env.PATH ?? '', MIST_API_TOKEN: TOKEN, PORT: '0', HOST: '127.0.0.1', DEMO_INTERVAL_SECONDS: '0.3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  standIn.stderr!.on('data', (c: Buffer) => (standInOutput += c.toString()));
  return new Promise((resolve, reject) => {
    standIn!.stdout!.on('data', (c: Buffer) => {
      standInOutput += c.toString();
      const m = /REST (http:\/\/\S+)\/api\/v1, stream (ws:\/\/\S+),/.exec(standInOutput);
      if (m) resolve({ url: m[1]!, wsUrl: m[2]! });
    });
    standIn!.once('exit', (code) => reject(new Error(`mist-stand-in exited with ${code}: ${standInOutput}`)));
  });
}

beforeAll(async () => {
  const mist = await startStandInProgram();
  emitted = await emittedBy(
    async (webhook, exported) => {
      const child = spawn(process.execPath, [repoPath('deploy/demo/send-deliveries.mjs')], {
        env: { PATH: process.env.PATH ?? '', BRIDGE_URL: webhook, MIST_WEBHOOK_SECRET: SECRET, DEMO_ROUNDS: '2', DEMO_INTERVAL_SECONDS: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      [exitCode] = (await once(child, 'exit')) as [number | null];
      await exported.waitFor(() => STREAM_METRICS.every((name) => exported.points.some((p) => p.name === name)), 20_000);
      // A few rounds, so the observed counters have moved.
      await new Promise((r) => setTimeout(r, 1000));
    },
    // As compose runs the stream bridge: the org found through GET /self, its sites listed.
    { env: { MIST_WEBHOOK_SECRET: SECRET, MIST_BRIDGE_ALLOW_UNSIGNED: 'false', MIST_API_TOKEN: TOKEN, MIST_API_URL: mist.url, MIST_WS_URL: mist.wsUrl } },
  );
}, 90_000);

afterAll(async () => {
  if (standIn && standIn.exitCode === null) {
    standIn.kill('SIGTERM');
    await once(standIn, 'exit');
  }
});

describe('the demo sender', () => {
  it('sends signed deliveries the bridge accepts, round after round', () => {
    expect(exitCode, output).toBe(0);
    expect(output).toMatch(/^round 1: (\d+)\/\1 accepted$/m);
    expect(output).toMatch(/^round 2: (\d+)\/\1 accepted$/m);
  });

  it('produces the audit and alarm logs and the session traces the dashboards list', () => {
    const topics = new Set(emitted.logs.map((l) => l.attributes['mist.topic']));
    expect([...topics]).toEqual(expect.arrayContaining(['audits', 'alarms']));
    const roots = emitted.spans.filter((s) => s.name === 'client-session');
    expect(
      roots.some((s) => s.status.code === 2),
      'a denied session',
    ).toBe(true);
    expect(
      roots.some((s) => s.status.code !== 2),
      'a good session',
    ).toBe(true);
    expect(emitted.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['nac-auth', 'dhcp', 'connected']));
  });
});

describe('the demo stand-in of Mist', () => {
  it('runs as a program, saying where it serves', () => {
    expect(standInOutput.split('\n')[0]).toMatch(
      /^mist-stand-in: REST http:\/\/127\.0\.0\.1:\d+\/api\/v1, stream ws:\/\/127\.0\.0\.1:\d+\/api-ws\/v1\/stream, 2 sites, a round every 0\.3 s$/,
    );
  });

  it('streams every site of the org with plausible device and client statistics, and answers the SLE poller', () => {
    const points = (name: string) => [...emitted.series.values()].filter((s) => s.source.name === name);
    for (const name of STREAM_METRICS) expect(points(name).length, name).toBeGreaterThan(0);
    // The SLE poller's, from the stand-in's /insights/sites-sle.
    for (const name of ['mist.site.sle.coverage', 'mist.site.sle.switch_health', 'mist.site.sle.gateway_health'])
      expect(points(name).length, name).toBeGreaterThan(0);
    const labels = emitted.series.get('mist_device_uptime_seconds')!.labels;
    expect([...labels]).toEqual(expect.arrayContaining(['mist_site_id', 'mist_device_name', 'mist_device_type']));
  });
});

describe('the demo', () => {
  it("produces every metric the dashboards query, the stream's too, but the counters of failures", () => {
    // Nothing fails in the demo: those appear once something does (./trouble.ts makes them for the dashboard checks).
    const known = [...emitted.series.keys(), ...FAILURE_COUNTERS];
    for (const file of dashboardFiles()) {
      for (const q of queriesOf(readDashboard(file)).filter((x) => x.language === 'promql')) {
        const refs = promRefs(q.text);
        for (const m of refs.metrics) expect(known, `${file} ${q.where}: ${m}`).toContain(m);
        for (const pattern of refs.metricPatterns)
          expect(
            known.some((k) => new RegExp(`^(?:${pattern})$`).test(k)),
            `${file} ${q.where}: ${pattern}`,
          ).toBe(true);
      }
    }
  });
});
