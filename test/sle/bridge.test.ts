/**
 * The SLE poller in the real bridge process (`src/main.ts`), pointed at the local stand-in of
 * Mist's REST API and exporting to a local OTLP receiver: what a user running `npm start` with
 * MIST_API_TOKEN set gets. Buckets are Mist's real 10-minute ones on the real clock, so a test
 * learns the bucket it expects from the calls the bridge made, and a poller that has been away
 * for an hour is one whose state file (its real format) says so.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newestBucket } from '../../src/sources/sle/buckets.js';
import { SLE_STATE_FILE } from '../../src/sources/sle/state.js';
import { type Family, SITE_SLE_METRICS, SLE_CLASSIFIERS, SLE_METRICS, sleValue } from '../support/mist-rest/fixtures.js';
import { type MistRest, type RecordedCall, startMistRest } from '../support/mist-rest/server.js';
import type { OtlpReceiver, ReceivedPoint } from '../support/otlp-receiver.js';
import { runCli } from '../support/run-cli.js';
import { type SpawnedBridge, spawnBridge } from '../support/spawn-bridge.js';
import { useTempDirs } from '../support/temp-dirs.js';
import { useReceiver } from '../support/use-receiver.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

const TOKEN = 'sle-e2e-token-5c0e2b71';
const FAMILIES: Family[] = ['wifi', 'wired', 'wan'];
const nameOf = (key: string) => `mist.site.sle.${key.replace(/-/g, '_')}`;
const ALL = FAMILIES.flatMap((f) => SLE_METRICS[f].map((key) => ({ family: f, key, name: nameOf(key) })));

// Before the afterEach below, so the bridges stop before their directories go.
const dataDir = useTempDirs('sle-bridge-');
let rest: MistRest | undefined;
const bridges: SpawnedBridge[] = [];
afterEach(async () => {
  for (const b of bridges.splice(0)) {
    if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGTERM');
    await b.exit();
  }
  await rest?.close();
  rest = undefined;
});

async function standIn(): Promise<MistRest> {
  rest = await startMistRest({ token: TOKEN });
  return rest;
}

async function bridge(env: Record<string, string>): Promise<SpawnedBridge> {
  const b = await spawnBridge({
    MIST_BRIDGE_WEBHOOK: 'false',
    MIST_BRIDGE_STREAM: 'false',
    MIST_API_TOKEN: TOKEN,
    MIST_API_URL: rest!.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    MIST_BRIDGE_LOG_LEVEL: 'debug',
    ...env,
  });
  bridges.push(b);
  return b;
}

async function until(predicate: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleCalls = (): RecordedCall[] => rest!.calls.filter((c) => c.path.endsWith('/insights/sites-sle'));
const fetched = (family: Family, status = 200) =>
  sleCalls()
    .filter((c) => c.query.sle === family && c.status === status)
    .map((c) => Number(c.query.start));
const polls = (b: SpawnedBridge) =>
  b
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"msg":"SLE poll"')).length;
const at = (bucket: number) => BigInt(bucket) * 1_000_000_000n;
const sitePoints = (name: string, site: string, bucket: number): ReceivedPoint[] =>
  receiver.points.filter((p) => p.name === name && p.attributes['mist.site_id'] === site && p.timeUnixNano === at(bucket));
const readState = (dir: string) => JSON.parse(readFileSync(join(dir, SLE_STATE_FILE), 'utf8')) as { orgs: Record<string, Record<string, { through: number }>> };
const doneThrough = (dir: string, family: string): number | undefined =>
  existsSync(join(dir, SLE_STATE_FILE)) ? readState(dir).orgs[rest!.orgId]?.[family]?.through : undefined;

/** Every SLE of every site of the stand-in at `bucket`, with the stand-in's value, unit and attributes. */
function expectBucket(bucket: number): void {
  for (const site of rest!.orgs[0]!.sites) {
    for (const { key, name } of ALL) {
      const points = sitePoints(name, site.id, bucket);
      expect(points.length, `${name} of ${site.name}`).toBeGreaterThan(0);
      for (const p of points) {
        expect(p).toMatchObject({ kind: 'gauge', unit: '1', value: sleValue(site.id, key, bucket) });
        expect(p.attributes).toEqual({ 'mist.org_id': rest!.orgId, 'mist.site_id': site.id });
      }
    }
  }
}

const allExported = (bucket: number) => () => rest!.orgs[0]!.sites.every((s) => ALL.every(({ name }) => sitePoints(name, s.id, bucket).length > 0));

describe('the SLE poller in a running bridge', () => {
  it("exports every site's SLEs at the bucket's own time, never fetches a bucket twice across polls, nor again after a restart", async () => {
    await standIn();
    const dir = dataDir();
    const first = await bridge({ MIST_BRIDGE_DATA_DIR: dir, MIST_BRIDGE_SLE_INTERVAL_MS: '1000' });
    await until(() => FAMILIES.every((f) => fetched(f).length > 0), 'a bucket of each family');
    const bucket = fetched('wifi')[0]!;
    expect(bucket % 600).toBe(0);
    expect(bucket).toBeLessThanOrEqual(newestBucket(Date.now()));
    await receiver.waitFor(allExported(bucket), 20_000);
    expectBucket(bucket);
    const descriptor = receiver.points.find((p) => p.name === 'mist.site.sle.ap_availability')!;
    expect(descriptor.description).toBe('Site SLE: AP availability (ratio of good minutes)');
    expect(receiver.points.some((p) => p.name.includes('num_'))).toBe(false);
    // The org came from the token (GET /self), asked once.
    expect(rest!.calls.filter((c) => c.path === '/self')).toHaveLength(1);

    // Done once exported: the state file says so; several polls later nothing was fetched twice.
    await until(() => FAMILIES.every((f) => (doneThrough(dir, f) ?? 0) >= bucket), 'the buckets marked done');
    const before = polls(first);
    await until(() => polls(first) >= before + 3, 'three more polls');
    const twice = sleCalls().filter((c, i, all) => all.findIndex((d) => d.query.sle === c.query.sle && d.query.start === c.query.start) !== i);
    expect(twice).toEqual([]);
    const ready = (await (await fetch(first.url + '/readyz')).json()) as { sources: Record<string, boolean> };
    expect(ready.sources).toEqual({ sle: true });

    // A restart on the same data directory fetches no bucket exported before it.
    first.child.kill('SIGTERM');
    expect((await first.exit()).code).toBe(0);
    const exported = Math.max(...sleCalls().map((c) => Number(c.query.start)));
    receiver.clear();
    rest!.calls.length = 0;
    const second = await bridge({ MIST_BRIDGE_DATA_DIR: dir, MIST_BRIDGE_SLE_INTERVAL_MS: '1000' });
    await until(() => polls(second) >= 3, 'three polls after the restart');
    expect(sleCalls().filter((c) => Number(c.query.start) <= exported)).toEqual([]);
    await new Promise((r) => setTimeout(r, 700));
    expect(receiver.points.filter((p) => p.name.startsWith('mist.site.sle.') && p.timeUnixNano <= at(exported))).toEqual([]);
    expect(first.stderr() + second.stderr()).not.toContain(TOKEN);
  }, 90_000);

  it('a bucket fetched but not exported when the bridge is killed is fetched and exported after the restart', async () => {
    await standIn();
    const dir = dataDir();
    receiver.failWith(503, {}, ['metrics']);
    const first = await bridge({ MIST_BRIDGE_DATA_DIR: dir });
    await until(() => FAMILIES.every((f) => fetched(f).length > 0), 'a bucket of each family');
    const bucket = fetched('wifi')[0]!;
    // Its collection was refused by the backend: nothing of it has been exported.
    await until(() => receiver.requests.some((r) => r.signal === 'metrics' && r.status === 503), 'a refused metric export');
    first.child.kill('SIGKILL');
    await first.exit();
    for (const f of FAMILIES) expect(doneThrough(dir, f)).toBeLessThan(bucket);
    expect(receiver.points.filter((p) => p.name.startsWith('mist.site.sle.'))).toEqual([]);

    receiver.failWith(null);
    await bridge({ MIST_BRIDGE_DATA_DIR: dir });
    await receiver.waitFor(allExported(bucket), 20_000);
    expectBucket(bucket);
    for (const f of FAMILIES) expect(fetched(f).filter((b) => b === bucket)).toHaveLength(2);
    await until(() => FAMILIES.every((f) => (doneThrough(dir, f) ?? 0) >= bucket), 'the bucket marked done');
  }, 90_000);

  it('backfills the buckets missed while away and while Mist failed, oldest first, each at its own time', async () => {
    await standIn();
    const dir = dataDir();
    // The bridge last exported the bucket an hour before the newest (seven buckets missed since).
    const last = newestBucket(Date.now()) - 7 * 600;
    const orgs = { [rest!.orgId]: Object.fromEntries(FAMILIES.map((f) => [f, { through: last, later: [] }])) };
    writeFileSync(join(dir, SLE_STATE_FILE), JSON.stringify({ version: 1, orgs }));
    // Mist fails the first call, through all of the client's retries.
    rest!.fail({ path: /insights\/sites-sle$/, status: 503, times: 5 });
    const b = await bridge({ MIST_BRIDGE_DATA_DIR: dir, MIST_BRIDGE_SLE_INTERVAL_MS: '1000', MIST_ORG_ID: rest!.orgId });
    await until(() => FAMILIES.every((f) => fetched(f).length >= 7), 'the missed buckets of each family', 40_000);
    expect(b.stderr()).toMatch(/"msg":"SLE poll failed; the bucket is fetched again at the next poll".*"family":"wifi"/);
    expect(sleCalls().filter((c) => c.status === 503)).toHaveLength(5);
    for (const f of FAMILIES) {
      const buckets = fetched(f);
      // Oldest first, each once, from the first missed one on.
      expect(buckets.slice(0, 7)).toEqual(Array.from({ length: 7 }, (_, i) => last + (i + 1) * 600));
      expect(new Set(buckets).size).toBe(buckets.length);
    }
    for (let i = 1; i <= 7; i++) await receiver.waitFor(allExported(last + i * 600), 20_000);
    for (let i = 1; i <= 7; i++) expectBucket(last + i * 600);
    // Nothing before the outage.
    expect(receiver.points.filter((p) => p.name.startsWith('mist.site.sle.') && p.timeUnixNano <= at(last))).toEqual([]);

    // The bridge's own figures tell the story: Mist's five 503s, the failed poll, a lag of over an
    // hour that closed once the backfill was exported.
    const self = (name: string, attributes: Record<string, unknown>) =>
      receiver.points.filter((p) => p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)).map((p) => Number(p.value));
    await receiver.waitFor(() => FAMILIES.every((track) => (self('mist.bridge.sle.behind', { track }).at(-1) ?? Infinity) < 900), 20_000);
    expect(Math.max(...self('mist.bridge.mist_api.calls', { 'http.request.method': 'GET', 'http.response.status_code': 503 }))).toBe(5);
    expect(Math.max(...self('mist.bridge.mist_api.calls', { 'http.request.method': 'GET', 'http.response.status_code': 200 }))).toBeGreaterThanOrEqual(21);
    expect(Math.max(...self('mist.bridge.sle.polls', { outcome: 'failed' }))).toBeGreaterThanOrEqual(1);
    expect(Math.max(...self('mist.bridge.sle.polls', { outcome: 'ok' }))).toBeGreaterThanOrEqual(1);
    for (const track of FAMILIES) {
      const behind = self('mist.bridge.sle.behind', { track });
      expect(Math.max(...behind), track).toBeGreaterThanOrEqual(7 * 600);
      expect(behind.at(-1), track).toBeLessThan(900);
    }
    const used = self('mist.bridge.mist_api.budget.used', {});
    expect(Math.max(...used)).toBeGreaterThanOrEqual(26);
    expect(self('mist.bridge.mist_api.budget.allowance', {}).at(-1)).toBe(2500);
  }, 90_000);

  it('waits out a 429 and exports the bucket; without a data directory it says what that means', async () => {
    await standIn();
    rest!.fail({ path: /insights\/sites-sle$/, status: 429, times: 1 });
    const b = await bridge({ MIST_BRIDGE_DATA_DIR: '', MIST_ORG_ID: rest!.orgId });
    await until(() => FAMILIES.every((f) => fetched(f).length > 0), 'a bucket of each family');
    const bucket = fetched('wifi')[0]!;
    expect(sleCalls()[0]).toMatchObject({ status: 429, query: { sle: 'wifi', start: String(bucket) } });
    expect(b.stderr()).toMatch(
      /"msg":"Mist API call retried".*Too Many Request\. The API Token used for the request reached the 5000 API Calls per hour threshold/,
    );
    await receiver.waitFor(allExported(bucket), 20_000);
    expectBucket(bucket);
    expect(b.stderr()).toContain('durability.dir is not set: the SLE poller keeps its place in memory only');
  }, 60_000);
});

describe('SLE classifiers', () => {
  it('when on, exports per site, metric and classifier what degrades each SLE at its sample time', async () => {
    await standIn();
    await bridge({ MIST_BRIDGE_SLE_CLASSIFIERS: 'true', MIST_ORG_ID: rest!.orgId });
    const sites = rest!.orgs[0]!.sites;
    const expected = sites.length * SITE_SLE_METRICS.enabled.length * SLE_CLASSIFIERS.length;
    const degraded = () => receiver.points.filter((p) => p.name === 'mist.site.sle.classifier.degraded');
    await receiver.waitFor(() => new Set(degraded().map((p) => JSON.stringify(p.attributes))).size === expected, 20_000);
    const bucket = fetched('wifi')[0]!;
    const trend = rest!.calls.filter((c) => c.path.endsWith('/summary-trend'));
    expect(trend).toHaveLength(sites.length * SITE_SLE_METRICS.enabled.length);
    expect(new Set(trend.map((c) => `${c.query.start}-${c.query.end}`))).toEqual(new Set([`${bucket}-${bucket + 600}`]));
    const site = sites[2]!.id;
    const p = degraded().find(
      (x) =>
        x.attributes['mist.site_id'] === site && x.attributes['mist.sle_metric'] === 'capacity' && x.attributes['mist.sle_classifier'] === 'asymmetry-uplink',
    )!;
    expect(p).toMatchObject({ unit: 'min', timeUnixNano: at(bucket), value: Math.round(50 * (1 - sleValue(site, 'capacity/asymmetry-uplink', bucket))) });
    expect(p.attributes).toEqual({
      'mist.org_id': rest!.orgId,
      'mist.site_id': site,
      'mist.sle_metric': 'capacity',
      'mist.sle_classifier': 'asymmetry-uplink',
    });
  }, 60_000);

  it("are suspended, with the arithmetic, once the org's size shows they would need more calls than the budget allows", async () => {
    await standIn();
    // 150 calls an hour: the least the poller can need fits (18 + 85); three sites' classifiers do not.
    const b = await bridge({ MIST_BRIDGE_SLE_CLASSIFIERS: 'true', MIST_API_BUDGET_SHARE: '0.03', MIST_ORG_ID: rest!.orgId });
    await until(() => b.stderr().includes('SLE classifiers suspended'), 'the suspension');
    const line = b
      .stderr()
      .split('\n')
      .find((l) => l.includes('SLE classifiers suspended'))!;
    const budget = (JSON.parse(line) as { budget: string }).budget;
    expect(budget).toContain('the planned Mist API use needs 273 calls per hour, more than the 150 this process may make (3% of');
    expect(budget).toContain('SLE poller: 18 (3 SLE families × 1 page (3 sites, 100 per page) × 6 ten-minute buckets per hour)');
    expect(budget).toContain('SLE classifiers: 255 (3 sites × 14 metrics until listed × 6 polls per hour + 3 metric listings per hour)');
    await receiver.waitFor(allExported(fetched('wifi')[0]!), 20_000);
    expect(rest!.calls.filter((c) => c.path.includes('/sle/site/'))).toEqual([]);
  }, 60_000);
});

describe('the SLE poller at start-up', () => {
  it("refuses a configuration whose Mist API users together need more than the process's share, with the arithmetic", async () => {
    // The stream's site listing alone fits (2,490 ≤ 2,500); with the poller's 18 it does not.
    const { code, stderr: err } = await runCli([], {
      MIST_BRIDGE_WEBHOOK: 'false',
      MIST_API_TOKEN: TOKEN,
      MIST_WS_URL: 'ws://127.0.0.1:9/api-ws/v1/stream',
      MIST_STREAM_SITES_REFRESH_MS: '1446',
    });
    expect(code).toBe(1);
    expect(err).toBe(
      [
        "mist-otel-bridge: the planned Mist API use needs 2,508 calls per hour, more than the 2,500 this process may make (50% of Mist's 5,000 calls per hour per API token):",
        '  stream site discovery: 2,490 (a listing every 1.446 s (one call per 100 sites))',
        '  SLE poller: 18 (3 SLE families × 1 page (sites not known before the first poll, 100 per page) × 6 ten-minute buckets per hour)',
        '  total: 2,490 + 18 = 2,508 > 2,500',
        'Poll less often or fetch less, or raise MIST_API_BUDGET_SHARE if nothing else uses this token.',
        '',
      ].join('\n'),
    );
  });
});

describe('one set of names, whichever way the SLEs came', () => {
  it('the site-sle webhook topic and the poller feed the same mist.site.sle.* gauges', async () => {
    await standIn();
    const b = await bridge({ MIST_BRIDGE_WEBHOOK: 'true', MIST_BRIDGE_ALLOW_UNSIGNED: 'true', MIST_ORG_ID: rest!.orgId });
    const webhookSite = '4ac1dcf4-9d8b-7211-65c4-057819f0862b';
    const res = await fetch(b.url + '/mist/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        topic: 'site-sle',
        events: [
          {
            org_id: rest!.orgId,
            site_id: webhookSite,
            sle: { 'ap-availability': 0.6, 'successful-connect': 0.7, 'time-to-connect': 0.9 },
            timestamp: 1_694_620_800,
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    await until(() => fetched('wifi').length > 0, 'a wifi bucket');
    const bucket = fetched('wifi')[0]!;
    await receiver.waitFor(allExported(bucket), 20_000);
    const pollerSite = rest!.orgs[0]!.sites[0]!.id;
    for (const [key, value] of [
      ['ap-availability', 0.6],
      ['successful-connect', 0.7],
      ['time-to-connect', 0.9],
    ] as const) {
      const name = nameOf(key);
      const fromWebhook = receiver.points.find((p) => p.name === name && p.attributes['mist.site_id'] === webhookSite)!;
      const fromPoller = sitePoints(name, pollerSite, bucket)[0]!;
      expect(fromWebhook).toMatchObject({ value, timeUnixNano: 1_694_620_800_000_000_000n });
      expect(fromPoller.value).toBe(sleValue(pollerSite, key, bucket));
      for (const p of [fromWebhook, fromPoller]) expect(Object.keys(p.attributes).sort()).toEqual(['mist.org_id', 'mist.site_id']);
      expect([fromWebhook.unit, fromWebhook.description]).toEqual([fromPoller.unit, fromPoller.description]);
    }
  }, 60_000);
});
