/**
 * The stream source in the real bridge process (`src/main.ts`), pointed at local stand-ins of
 * Mist's REST API (the org's sites, all pages) and WebSocket API, exporting to a local OTLP
 * receiver: what a user running `npm start` with MIST_API_TOKEN set gets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apBasic, apFull, wirelessClient } from '../../mist-payloads/stream.mjs';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { receivedNumbers } from '../reliability/helpers.js';
import { postDelivery } from '../support/mist-client.js';
import { type MistRest, startMistRest } from '../support/mist-rest/server.js';
import { MistWsStandIn } from '../support/mist-ws/stand-in.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { runCli } from '../support/run-cli.js';
import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';
import { useTempDirs } from '../support/temp-dirs.js';
import { useReceiver } from '../support/use-receiver.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

const TOKEN = 'stream-e2e-token-9f3a51c7';
const ORG = '6a1c2d3e-0000-4000-8000-00000000000a';
const site = (n: number) => `5b000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const tempDir = useTempDirs('stream-bridge-');

let rest: MistRest | undefined;
let ws: MistWsStandIn | undefined;
let bridge: SpawnedBridge | undefined;
afterEach(async () => {
  bridge?.child.kill('SIGTERM');
  await bridge?.exit();
  await ws?.close();
  await rest?.close();
  bridge = ws = rest = undefined;
});

async function start(sites: number, env: Record<string, string> = {}) {
  rest = await startMistRest({
    token: TOKEN,
    maxPageLimit: 100,
    orgs: [{ id: ORG, name: 'Org', sites: Array.from({ length: sites }, (_, i) => ({ id: site(i + 1), name: `site ${i + 1}` })) }],
  });
  ws = await MistWsStandIn.start({ token: TOKEN });
  bridge = await spawnBridge({
    MIST_BRIDGE_WEBHOOK: 'false',
    MIST_BRIDGE_SLE: 'false',
    MIST_API_TOKEN: TOKEN,
    MIST_API_URL: rest.url,
    MIST_WS_URL: ws.url,
    MIST_ORG_ID: ORG,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    ...env,
  });
  return { rest, ws, bridge };
}

async function until(predicate: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${predicate.toString()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const latest = (name: string, attributes: Record<string, unknown> = {}) =>
  receiver.points.filter((p) => p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)).at(-1);

describe('the stream source in a running bridge', () => {
  it('subscribes both channels of every site of the org (all pages) and exports device and client health with their units, times and counter semantics', async () => {
    const { ws, bridge } = await start(150);
    // 150 sites over two pages of 100, two channels each.
    await until(() => ws.subscriptions().length === 300);
    expect(ws.subscriptions()).toContain(`/sites/${site(150)}/stats/clients`);

    const s1 = site(1);
    ws.publish(`/sites/${s1}/stats/devices`, apBasic({ time: 1_700_000_000 }));
    ws.publish(`/sites/${s1}/stats/devices`, apFull({ time: 1_700_000_000, uptime: 86_400, cpu_util: 5 }));
    for (let i = 0; i < 3; i++)
      ws.publish(`/sites/${s1}/stats/clients`, wirelessClient({ mac: `aa00000000${i}1`, ap_mac: '5c5b35000001', ssid: 'Corp', band: '5', rssi: -60 - i }), {
        inline: i === 0,
      });

    await receiver.waitFor(() => latest('mist.device.cpu.utilization') !== undefined && latest('mist.client.count') !== undefined, 15_000);
    const device = { 'mist.site_id': s1, 'mist.device_mac': '5c5b35000001' };
    const cpu = latest('mist.device.cpu.utilization', device)!;
    expect(cpu.value).toBeCloseTo(0.05, 10);
    expect(cpu.unit).toBe('1');
    expect(cpu.attributes).toMatchObject({ 'mist.org_id': ORG, 'mist.device_name': 'ap-lobby', 'mist.device_type': 'ap', 'mist.device_model': 'AP45' });
    // At the message's own time, not the collection's.
    expect(cpu.timeUnixNano).toBe(1_700_000_000_250_000_000n);
    expect(latest('mist.device.uptime', device)).toMatchObject({ value: 86_400, unit: 's' });
    expect(latest('mist.device.radio.utilization', { ...device, 'mist.band': '24' })!.value).toBeCloseTo(0.31, 10);
    // The device's own cumulative count, started at its boot (message time − uptime).
    const io = latest('mist.device.network.io', { ...device, 'network.interface.name': 'eth0', 'network.io.direction': 'transmit' })!;
    expect(io).toMatchObject({ value: 9_100_000_000, unit: 'By', monotonic: true });
    expect(io.startTimeUnixNano).toBe(1_700_000_000_250_000_000n - 86_400_000_000_000n);
    expect(latest('mist.client.count', { 'mist.site_id': s1, 'mist.ssid': 'Corp', 'mist.band': '5' })!.value).toBe(3);

    // No client identifier on any exported point.
    for (const p of receiver.points) expect(JSON.stringify(p.attributes)).not.toMatch(/aa00000000\d1/);
    // The stream's own figures on /metrics; the token nowhere in the bridge's output.
    const metrics = await (await fetch(bridge.url + '/metrics')).text();
    expect(metrics).toMatch(new RegExp(`mist_bridge_stream_messages_total\\{[^}]*mist_site_id="${s1}"[^}]*\\} \\d+`));
    expect(metrics).toMatch(/mist_bridge_stream_connections\{[^}]*state="open"[^}]*\} 1/);
    expect(metrics).not.toContain(TOKEN);
    expect(bridge.stderr()).not.toContain(TOKEN);
    const ready = (await (await fetch(bridge.url + '/readyz')).json()) as { sources: Record<string, boolean> };
    expect(ready.sources).toEqual({ stream: true });
  });

  it('picks up a site added to the org and drops one removed, while running', async () => {
    const { rest, ws } = await start(2, { MIST_STREAM_SITES_REFRESH_MS: '2000' });
    await until(() => ws.subscriptions().length === 4);
    rest.orgs[0]!.sites.push({ id: site(9), name: 'new site' });
    rest.orgs[0]!.sites.splice(0, 1);
    await until(() => ws.subscriptions().includes(`/sites/${site(9)}/stats/devices`) && !ws.subscriptions().some((c) => c.includes(site(1))));
    expect(ws.subscriptions()).toHaveLength(4);
  });
});

describe('a bridge that only streams', () => {
  /** Node's diagnostic report, written on SIGUSR2 into `dir`, lists the process's worker threads. */
  const reporting = (dir: string) => ({ NODE_OPTIONS: `--report-on-signal --report-signal=SIGUSR2 --report-directory=${dir}` });
  async function workerThreads(pid: number, dir: string): Promise<number> {
    const before = new Set(readdirSync(dir));
    process.kill(pid, 'SIGUSR2');
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const report = readdirSync(dir).find((f) => f.endsWith('.json') && !before.has(f));
      if (report === undefined) continue;
      try {
        return (JSON.parse(readFileSync(join(dir, report), 'utf8')) as { workers: unknown[] }).workers.length;
      } catch {
        // Still being written.
      }
    }
    throw new Error(`no diagnostic report in ${dir}`);
  }

  it("exports the webhook deliveries an earlier run left in the journal, and starts none of the journal's threads", async () => {
    const dir = tempDir();
    const reports = tempDir();
    const topic = 'left-in-journal';
    receiver.failWith(503);
    const webhook = await spawnBridge({
      MIST_BRIDGE_ALLOW_UNSIGNED: 'true',
      MIST_BRIDGE_DATA_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      ...reporting(reports),
    });
    try {
      for (let n = 0; n < 30; n += 3) expect((await postDelivery(`${webhook.url}/mist/webhook`, numbered(topic, n, 3))).status).toBe(200);
      // The journal's writer and checkpointer (a thread still loading through tsx may list its loader's hooks thread too).
      expect(await workerThreads(webhook.child.pid!, reports)).toBeGreaterThanOrEqual(2);
    } finally {
      // Killed: what it accepted is in the journal (and its WAL) only.
      webhook.child.kill('SIGKILL');
      await webhook.exit();
    }
    expect(receivedNumbers(receiver, topic)).toHaveLength(0);

    receiver.failWith(null);
    const { bridge } = await start(1, { MIST_BRIDGE_DATA_DIR: dir, ...reporting(reports) });
    await receiver.waitFor(() => receivedNumbers(receiver, topic).length === 30, 15_000);
    expect(receivedNumbers(receiver, topic).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(await workerThreads(bridge.child.pid!, reports)).toBe(0);
    // Released once exported: a later start finds nothing to replay.
    const journalRows = async () => ((await (await fetch(`${bridge.url}/readyz`)).json()) as { journal: { rows: number } }).journal.rows;
    for (let rows = await journalRows(), deadline = Date.now() + 15_000; rows > 0; rows = await journalRows()) {
      if (Date.now() > deadline) throw new Error(`the journal still holds ${rows} rows`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});

describe('the stream source at start-up', () => {
  it("refuses a site refresh that would need more of the token's hourly calls than its share, with the arithmetic", async () => {
    const { code, stderr: err } = await runCli([], {
      MIST_BRIDGE_WEBHOOK: 'false',
      MIST_BRIDGE_SLE: 'false',
      MIST_API_TOKEN: TOKEN,
      MIST_WS_URL: 'ws://127.0.0.1:9/api-ws/v1/stream',
      MIST_STREAM_SITES_REFRESH_MS: '500',
    });
    expect(code).toBe(1);
    expect(err).toMatch(/^mist-otel-bridge: the planned Mist API use needs 7,200 calls per hour, more than the 2,500/);
    expect(err).toContain('stream site discovery: 7,200');
    expect(err).not.toMatch(/\n\s+at /);
    expect(err).not.toContain(TOKEN);
  });
});
