/**
 * The dashboards checked by a real query engine: Debian's `prometheus` (.ci/run installs it)
 * scrapes a bridge running with OTEL_METRICS_EXPORTER=prometheus, fed the fixtures (webhook
 * deliveries), rounds of the demo sender and the stream of the demo's stand-in of Mist; every
 * PromQL query of every dashboard, its Grafana variables filled in as Grafana fills them ("All"),
 * goes through Prometheus's HTTP API and must parse and return data (the SLE row with the webhook's
 * SLEs and the poller's, which asks the stand-in). Every query variable
 * (`label_values`) must list values. Session metrics come from a collector's span_metrics
 * connector, which does not run here: ./span-metrics.ts derives them from the spans the bridge
 * exported, by the connector's rules, and Prometheus scrapes that as a second target.
 *
 * Then a second bridge is put in trouble (./trouble.ts: a slow, refusing, then absent backend, a
 * full journal, a wrong signature, Mist's API failing, one site's stream channels refused, later
 * the stream down) and scraped as a third target. Every counter of failure the Bridge panels query
 * then has real series, and each "Failing now" stat is read at three moments, its colour taken
 * from its own thresholds as Grafana takes it: its base colour while only the healthy bridge runs,
 * another once the trouble it is for has begun, and again the base colour for a range that starts
 * after a counter stopped.
 *
 * Skipped, saying so, where no prometheus binary is installed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MistStandIn, startMistStandIn } from '../../deploy/demo/mist-stand-in.mjs';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';
import { allPanels, type Dashboard, dashboardFiles, queriesOf, readDashboard } from './dashboards.js';
import { postFixtures } from './emitted.js';
import { promRefs } from './queries.js';
import { repoPath } from './repo.js';
import { spanMetricsText } from './span-metrics.js';
import { startTrouble, type Trouble } from './trouble.js';

function findPrometheus(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  return [...dirs, '/usr/bin', '/usr/local/bin'].map((d) => join(d, 'prometheus')).find((p) => existsSync(p));
}

const PROMETHEUS = findPrometheus();
const TOKEN = 'real-prometheus-stand-in-token';
const SECRET = 'real-prometheus-secret';
/** Grafana's interval variables, as it would set them for a 1 s scrape interval and a short range. */
const GRAFANA_INTERVALS: Record<string, string> = { __rate_interval: '1m', __interval: '2s', __range: '10m', __interval_ms: '2000', __range_s: '600' };

interface Outcome {
  dashboard: string;
  where: string;
  query: string;
  kind: 'instant' | 'range' | 'label values';
  /** Samples (or label values) returned, NaN ones left out. */
  samples: number;
  error?: string;
}
const outcomes: Outcome[] = [];
/** What each "Failing now" stat read at each moment, for the summary. */
const readings: string[] = [];

/** The query as Grafana sends it with every variable on "All" (or its text) and the interval variables set. */
function withVariables(d: Dashboard, text: string): string {
  let out = text;
  for (const v of d.templating.list) {
    const value =
      v.type === 'textbox'
        ? String(typeof v.query === 'string' ? v.query : '')
        : v.type === 'query'
          ? ((v as { allValue?: string }).allValue ?? '.*')
          : undefined;
    if (value === undefined) continue;
    out = out.replace(new RegExp(`\\$\\{${v.name}(?::[a-z]+)?\\}|\\$${v.name}\\b`, 'g'), value);
  }
  for (const [name, value] of Object.entries(GRAFANA_INTERVALS)) out = out.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), value);
  return out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function until(what: string, predicate: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * When each "Failing now" stat must leave its base colour (the moment the trouble it is for has
 * begun), or why the test cannot bring that about.
 */
const SHOWN_AT: Record<string, 'trouble' | 'stream down' | { notProvoked: string }> = {
  'Export failing': 'trouble',
  'Drops (range)': 'trouble',
  'Deliveries refused (range)': 'trouble',
  'Signature failures (range)': 'trouble',
  'Journal fill': 'trouble',
  'Journals not writable': {
    notProvoked: 'it takes a full disk under the journal; test/reliability/disk-full.test.ts shows mist_bridge_journal_writable going to 0 there',
  },
  'Stream connections down': 'stream down',
  'Stream channels failed': 'trouble',
  'Mist API errors (range)': 'trouble',
  'Mist API budget': { notProvoked: "it takes most of an hour's calls" },
  'SLE behind': 'trouble',
  'Series budget': { notProvoked: 'it takes 10,000 series of one metric' },
};

interface StatPanel {
  title: string;
  type: string;
  targets?: { expr?: string }[];
  fieldConfig: { defaults: { thresholds: { steps: { color: string; value: number | null }[] } } };
}

/** The colour Grafana gives a value: that of the last threshold step at or below it. */
function colourOf(panel: StatPanel, value: number): string {
  const [base, ...steps] = panel.fieldConfig.defaults.thresholds.steps;
  return steps.reduce((colour, step) => (value >= step.value! ? step.color : colour), base!.color);
}

const suite = PROMETHEUS ? describe : describe.skip;
if (!PROMETHEUS) console.warn('test/deploy/real-prometheus.test.ts: skipped, no prometheus binary (apt-get install prometheus; .ci/run does)');

suite(PROMETHEUS ? 'a real Prometheus scraping the bridge' : 'a real Prometheus scraping the bridge (skipped: prometheus is not installed)', () => {
  let dir: string;
  let mist: MistStandIn;
  let receiver: OtlpReceiver;
  let bridge: SpawnedBridge;
  let spanMetrics: Server;
  let prometheus: ChildProcess;
  let prometheusLog = '';
  let api: string;
  let trouble: Trouble;
  let troubled: SpawnedBridge;
  /** Epoch seconds: only the healthy bridge; the trouble begun; the troubled bridge's stream down too. */
  const moments: Record<'healthy' | 'trouble' | 'stream down', number> = { healthy: 0, trouble: 0, 'stream down': 0 };

  const query = async (path: string, params: Record<string, string>) => {
    const res = await fetch(`${api}${path}?${new URLSearchParams(params).toString()}`);
    return (await res.json()) as { status: string; error?: string; data: { resultType?: string; result?: unknown } | string[] };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mist-real-prometheus-'));
    mist = await startMistStandIn({ token: TOKEN, intervalMs: 1000 });
    receiver = await startOtlpReceiver();
    // Sessions placed and their spans exported within a second, not after the default minute.
    writeFileSync(join(dir, 'bridge.yaml'), 'sessions:\n  settleMs: 0\n  sweepIntervalMs: 500\n');
    bridge = await spawnBridge({
      MIST_BRIDGE_CONFIG: join(dir, 'bridge.yaml'),
      MIST_WEBHOOK_SECRET: SECRET,
      MIST_API_TOKEN: TOKEN,
      MIST_API_URL: mist.url,
      MIST_WS_URL: mist.wsUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
    });
    const scrapeLine = () => /"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(bridge.stderr())?.[1];
    await until('the bridge to say where it serves metrics', () => scrapeLine() !== undefined, 10_000);
    const scrape = new URL(scrapeLine()!);

    spanMetrics = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(spanMetricsText(receiver.spans)));
    spanMetrics.listen(0, '127.0.0.1');
    await once(spanMetrics, 'listening');

    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v1`;
    const configure = (bridges: string[]) =>
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          'scrape_configs:',
          '  - job_name: mist-bridge',
          `    static_configs: [{ targets: [${bridges.map((b) => `"${b}"`).join(', ')}] }]`,
          '  - job_name: span-metrics',
          `    static_configs: [{ targets: ["127.0.0.1:${(spanMetrics.address() as AddressInfo).port}"] }]`,
          '',
        ].join('\n'),
      );
    configure([scrape.host]);
    prometheus = spawn(
      PROMETHEUS!,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    prometheus.stderr!.on('data', (c: Buffer) => (prometheusLog += c.toString()));
    await until('Prometheus to be ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => undefined))?.status === 200, 30_000);
    const targetsUp = (n: number) =>
      until(
        `${n} targets to be scraped`,
        async () => {
          const { data } = (await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: { health: string }[] } };
          return data.activeTargets.length === n && data.activeTargets.every((t) => t.health === 'up');
        },
        30_000,
      );
    await targetsUp(2);

    // The fixtures once, then rounds of the demo sender spread over the scrapes, while the stream runs.
    // Each round ends one session on an AP it picks at random among the demo's six, and a rate by AP
    // (the sessions row) needs some AP whose session count rose between two scrapes: nine rounds
    // hold seven with a normal disconnect (every fourth is abnormal, a series of its own), so two of
    // them share an AP, where six rounds (five normal) found none about one run in eleven.
    await postFixtures(bridge.url + '/mist/webhook', SECRET);
    const sender = spawn(process.execPath, [repoPath('deploy/demo/send-deliveries.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        BRIDGE_URL: bridge.url + '/mist/webhook',
        MIST_WEBHOOK_SECRET: SECRET,
        DEMO_ROUNDS: '9',
        DEMO_INTERVAL_SECONDS: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let senderOutput = '';
    sender.stdout!.on('data', (c: Buffer) => (senderOutput += c.toString()));
    sender.stderr!.on('data', (c: Buffer) => (senderOutput += c.toString()));
    const [code] = (await once(sender, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`the demo sender failed: ${senderOutput}`);
    // Two scrapes more, so what the last round added is stored.
    await new Promise((r) => setTimeout(r, 3000));
    moments.healthy = Date.now() / 1000;

    // A second bridge, in trouble, scraped as a replica of the first (Prometheus reloads its configuration on SIGHUP).
    trouble = await startTrouble();
    troubled = await spawnBridge({
      ...trouble.env,
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: '0',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
    });
    const troubledScrape = () => /"url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(troubled.stderr())?.[1];
    await until('the troubled bridge to say where it serves metrics', () => troubledScrape() !== undefined, 10_000);
    configure([scrape.host, new URL(troubledScrape()!).host]);
    prometheus.kill('SIGHUP');
    await targetsUp(3);
    await trouble.provoke(troubled.url);
    await new Promise((r) => setTimeout(r, 3000));
    moments.trouble = Date.now() / 1000;
    await trouble.streamDown(troubled.url);
    await new Promise((r) => setTimeout(r, 3000));
    moments['stream down'] = Date.now() / 1000;
  }, 180_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    if (prometheus && prometheus.exitCode === null) await once(prometheus, 'exit');
    // The backend back first, so that the troubled bridge's stop is not held up exporting to it.
    trouble?.recover();
    troubled?.child.kill('SIGTERM');
    await troubled?.exit();
    await trouble?.close();
    bridge?.child.kill('SIGTERM');
    await bridge?.exit();
    if (spanMetrics) await new Promise((r) => spanMetrics.close(r));
    await receiver?.close();
    await mist?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (outcomes.length > 0) {
      const lines = outcomes.map(
        (o) => `${o.samples > 0 && !o.error ? 'data' : 'EMPTY'}\t${o.samples}\t${o.kind}\t${o.dashboard}\t${o.where}${o.error ? `\t${o.error}` : ''}`,
      );
      console.info(
        `PromQL through a real Prometheus (${PROMETHEUS}): ${outcomes.filter((o) => o.samples > 0 && !o.error).length}/${outcomes.length} with data\n${lines.join('\n')}`,
      );
    }
    if (readings.length > 0) console.info(`"Failing now" stats (dashboard, title, moment, value, colour):\n${readings.join('\n')}`);
  });

  it("stores the stream, the webhook metrics and the bridge's own figures under the names the dashboards use", async () => {
    const names = (await query('/label/__name__/values', {})).data as string[];
    expect(names).toEqual(
      expect.arrayContaining([
        'mist_device_cpu_utilization_ratio',
        'mist_client_count',
        'mist_device_up',
        'mist_site_sle_ap_availability_ratio',
        'mist_bridge_deliveries_total',
        'mist_session_calls_total',
      ]),
    );
    // SLEs the poller alone brings (from the stand-in's /insights/sites-sle), beside the webhook's.
    expect(names).toEqual(expect.arrayContaining(['mist_site_sle_coverage_ratio', 'mist_site_sle_wan_link_health_ratio']));
    expect(prometheusLog).not.toMatch(/level=error/);
  });

  describe.each(dashboardFiles())('dashboard %s', (file) => {
    const d = readDashboard(file);
    const panels = queriesOf(d).filter((q) => q.language === 'promql' && !q.where.startsWith('variable '));

    it.each(panels.map((q) => [q.where, q] as const))('%s parses and returns data', async (_where, q) => {
      const target = d.panels
        .flatMap((p) => [p, ...(p.panels ?? [])])
        .flatMap((p) => (p.targets ?? []).map((t) => ({ p, t })))
        .find(({ p, t }) => `${p.title} ${t.refId}` === q.where)!.t as { instant?: boolean };
      const text = withVariables(d, q.text);
      expect(text, 'every variable filled in').not.toMatch(/\$/);
      const instant = target.instant === true;
      const now = Date.now() / 1000;
      // A range panel over the whole test, from a minute before the healthy bridge's data was all
      // stored (the dashboards open on the last 3-6 hours): a rate of what only the demo rounds
      // moved (sessions, for one) is data there, however long the trouble phase took on a busy machine.
      const start = Math.min(now - 60, moments.healthy - 60);
      const answer = instant
        ? await query('/query', { query: text, time: String(now) })
        : await query('/query_range', { query: text, start: String(start), end: String(now), step: '2' });
      const outcome: Outcome = { dashboard: file, where: q.where, query: text, kind: instant ? 'instant' : 'range', samples: 0 };
      outcomes.push(outcome);
      if (answer.status !== 'success') outcome.error = answer.error ?? 'failed';
      expect(answer.status, `${text}: ${answer.error ?? ''}`).toBe('success');
      const data = answer.data as { resultType: string; result: unknown };
      const values: string[] =
        data.resultType === 'scalar'
          ? [(data.result as [number, string])[1]]
          : data.resultType === 'vector'
            ? (data.result as { value: [number, string] }[]).map((r) => r.value[1])
            : (data.result as { values: [number, string][] }[]).flatMap((r) => r.values.map((v) => v[1]));
      outcome.samples = values.filter((v) => v !== 'NaN').length;
      expect(outcome.samples, `${text} returned no data`).toBeGreaterThan(0);
      // A fallback such as `or vector(0)` answers whether the metric exists or not: each one named must have series of its own.
      for (const metric of promRefs(q.text).metrics) {
        const found = await query('/series', { 'match[]': metric, start: String(now - 600), end: String(now) });
        expect((found.data as unknown[]).length, `${q.where}: no series of ${metric}`).toBeGreaterThan(0);
      }
    });

    const variables = d.templating.list.filter((v) => v.type === 'query');
    if (variables.length > 0) {
      it.each(variables.map((v) => [v.name, v] as const))('variable %s lists values', async (_name, v) => {
        const text = withVariables(d, typeof v.query === 'string' ? v.query : (v.query?.query ?? ''));
        const m = /^\s*label_values\((?:(.*),)?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(text);
        expect(m, `${text} is label_values()`).not.toBeNull();
        const answer = await query(`/label/${m![2]}/values`, m![1] ? { 'match[]': m![1].trim() } : {});
        const outcome: Outcome = { dashboard: file, where: `variable ${v.name}`, query: text, kind: 'label values', samples: 0 };
        outcomes.push(outcome);
        expect(answer.status, answer.error).toBe('success');
        outcome.samples = (answer.data as string[]).length;
        expect(outcome.samples, `${text} lists nothing`).toBeGreaterThan(0);
      });
    }
  });

  describe.each(['mist-bridge.json', 'mist-overview.json'])('the "Failing now" stats of %s', (file) => {
    const d = readDashboard(file);
    const stats = allPanels(d.panels).filter((p) => p.type === 'stat' && p.targets?.some((t) => t.expr?.includes('mist_bridge_'))) as unknown as StatPanel[];

    it('each say when the test turns them, or why it cannot', () => {
      expect(stats.map((p) => p.title).sort()).toEqual(Object.keys(SHOWN_AT).sort());
    });

    const valueAt = async (panel: StatPanel, at: number): Promise<number> => {
      const value = await read(panel, at);
      const moment = Object.entries(moments).find(([, t]) => t === at)![0];
      readings.push(`${file}\t${panel.title}\t${moment}\t${value}\t${colourOf(panel, value)}`);
      return value;
    };
    /** `range`: the time range's length, as Grafana sets $__range (the test's default otherwise). */
    const read = async (panel: StatPanel, at: number, range?: string): Promise<number> => {
      const expr = panel.targets![0]!.expr!;
      const text = withVariables(d, range === undefined ? expr : expr.replaceAll('$__range', range));
      const answer = await query('/query', { query: text, time: String(at) });
      expect(answer.status, `${text}: ${answer.error ?? ''}`).toBe('success');
      const result = (answer.data as { result: { value: [number, string] }[] }).result;
      expect(result, `${panel.title}: one value`).toHaveLength(1);
      const value = Number(result[0]!.value[1]);
      expect(Number.isFinite(value), `${panel.title} = ${value}`).toBe(true);
      return value;
    };

    it.each(stats.map((p) => [p.title, p] as const))(
      '%s: its base colour while only the healthy bridge runs, another once its trouble has begun',
      async (_title, panel) => {
        const base = panel.fieldConfig.defaults.thresholds.steps[0]!.color;
        const healthy = await valueAt(panel, moments.healthy);
        expect(colourOf(panel, healthy), `${panel.title} = ${healthy} while only the healthy bridge runs`).toBe(base);
        const shown = SHOWN_AT[panel.title]!;
        if (typeof shown === 'object') {
          // Not brought about here; at least everything else that went wrong raises no false alarm.
          for (const at of [moments.trouble, moments['stream down']]) {
            const value = await valueAt(panel, at);
            expect(colourOf(panel, value), `${panel.title} = ${value} in trouble it is not about`).toBe(base);
          }
          return;
        }
        const value = await valueAt(panel, moments[shown]);
        expect(colourOf(panel, value), `${panel.title} = ${value} once its trouble (${shown}) has begun`).not.toBe(base);
      },
    );

    // Counts that stopped before the range began are not in it: the stats go back to green.
    it.each(['Drops (range)', 'Deliveries refused (range)', 'Signature failures (range)'])(
      '%s: its base colour again for a range that begins after its trouble stopped counting',
      async (title) => {
        const panel = stats.find((p) => p.title === title)!;
        const range = `${Math.floor(moments['stream down'] - moments.trouble)}s`;
        const value = await read(panel, moments['stream down'], range);
        expect(colourOf(panel, value), `${title} = ${value} over the last ${range}`).toBe(panel.fieldConfig.defaults.thresholds.steps[0]!.color);
      },
    );
  });
});

describe('the Prometheus binary the test runs', () => {
  it.skipIf(!PROMETHEUS)('is one whose flags the test uses (--config.file, --storage.tsdb.path, --web.listen-address)', () => {
    const help = spawnSync(PROMETHEUS!, ['--help'], { encoding: 'utf8' });
    const text = help.stdout + help.stderr;
    for (const flag of ['--config.file', '--storage.tsdb.path', '--web.listen-address']) expect(text).toContain(flag);
  });
});
