import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ack } from '../../src/acks/ack.js';
import { createLogger } from '../../src/log/logger.js';
import { loadMappings } from '../../src/mapping/loader.js';
import { BudgetError, CallBudget } from '../../src/mist-api/budget.js';
import type { Clock } from '../../src/mist-api/clock.js';
import { createMistClient } from '../../src/mist-api/create.js';
import type { SleFamily } from '../../src/mist-api/types.js';
import type { Batch, BatchConsumer, Receipt } from '../../src/sources/contract.js';
import { nextPollAt, SLE_BUCKET_SECONDS } from '../../src/sources/sle/buckets.js';
import { slePlans } from '../../src/sources/sle/plan.js';
import { SlePoller } from '../../src/sources/sle/poller.js';
import { SLE_STATE_FILE, SleState } from '../../src/sources/sle/state.js';
import { SITE_SLE_METRICS, SLE_CLASSIFIERS, SLE_COUNTS, SLE_METRICS, sleValue } from '../support/mist-rest/fixtures.js';
import { type MistRest, startMistRest } from '../support/mist-rest/server.js';

/**
 * The SLE poller core against the stand-in of Mist's REST API, with a clock the test moves and a
 * consumer standing for processing and export: it holds each batch's acknowledgement as the
 * metric export does, and `exportAll()` releases them as an exported collection would.
 */

// 10:07:00 UTC: with the 5-minute settle time, 09:50–10:00 is the newest whole bucket to fetch.
const T0 = Date.UTC(2025, 5, 2, 10, 7, 0);
const bucketAt = (h: number, m: number) => Date.UTC(2025, 5, 2, h, m) / 1000;

let mist: MistRest;
let dir: string;
let now: number;
const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
const lines: string[] = [];
const log = createLogger('debug', (line) => lines.push(line));

class Export implements BatchConsumer {
  readonly batches: Batch[] = [];
  private held: Ack[] = [];
  consume(batch: Batch): Promise<Receipt> {
    this.batches.push(batch);
    // As processing does for a batch whose events contribute metrics, then seals it.
    batch.ack!.hold('metrics');
    this.held.push(batch.ack!);
    batch.ack!.seal();
    return Promise.resolve({ status: 'accepted', events: batch.events.length, duplicates: 0, failedEvents: 0 });
  }
  exportAll(): void {
    for (const ack of this.held.splice(0)) ack.release('metrics');
  }
  buckets(kind?: string): number[] {
    return this.batches.filter((b) => kind === undefined || b.kind === kind).map((b) => (b.events[0] as { start: number }).start);
  }
}

beforeEach(async () => {
  mist = await startMistRest();
  dir = mkdtempSync(join(tmpdir(), 'sle-poller-'));
  now = T0;
  lines.length = 0;
});
afterEach(async () => {
  await mist.close();
  rmSync(dir, { recursive: true, force: true });
});

function poller(next: BatchConsumer, options: { families?: SleFamily[]; classifiers?: boolean; accepting?: () => boolean; dataDir?: string | null } = {}) {
  const client = createMistClient({ token: mist.token, baseUrl: mist.url }, new CallBudget(), { retries: 0 });
  const state = SleState.open(options.dataDir === undefined ? dir : options.dataDir, log);
  return {
    state,
    poller: new SlePoller({
      api: client,
      org: async () => mist.orgId,
      state,
      next,
      clock,
      classifiers: () => options.classifiers ?? false,
      backfillSeconds: 86_400,
      log,
      ...(options.families ? { families: options.families } : {}),
      ...(options.accepting ? { accepting: options.accepting } : {}),
    }),
  };
}

const sleCalls = () => mist.calls.filter((c) => c.path.endsWith('/insights/sites-sle')).map((c) => `${c.query.sle}@${c.query.start}`);
const stateFile = () => JSON.parse(readFileSync(join(dir, SLE_STATE_FILE), 'utf8')) as unknown;

describe('SLE poller: batches', () => {
  it("hands the newest whole bucket of each family to processing: one event per site's row with the bucket's start and end, the org as context", async () => {
    const out = new Export();
    const { poller: p } = poller(out);
    const result = await p.poll();
    const bucket = bucketAt(9, 50);
    expect(result.tracks.map((t) => [t.track, t.buckets])).toEqual([
      ['wifi', [bucket]],
      ['wired', [bucket]],
      ['wan', [bucket]],
    ]);
    expect(mist.calls.map((c) => [c.path, c.query.sle, c.query.start, c.query.end])).toEqual(
      ['wifi', 'wired', 'wan'].map((f) => [`/orgs/${mist.orgId}/insights/sites-sle`, f, String(bucket), String(bucket + SLE_BUCKET_SECONDS)]),
    );
    const sites = mist.orgs[0]!.sites;
    expect(out.batches).toHaveLength(3);
    for (const batch of out.batches) {
      const family = batch.kind as SleFamily;
      expect(batch).toMatchObject({ source: 'sle', context: { org_id: mist.orgId } });
      expect(batch.receivedNs).toBe(BigInt(T0) * 1_000_000n);
      expect(batch.events).toHaveLength(sites.length);
      const row = batch.events[0] as Record<string, unknown>;
      expect(row).toMatchObject({ site_id: sites[0]!.id, start: bucket, end: bucket + SLE_BUCKET_SECONDS });
      for (const m of SLE_METRICS[family]) expect(row[m]).toBe(sleValue(sites[0]!.id, m, bucket));
      for (const c of SLE_COUNTS[family]) expect(row).toHaveProperty(c);
    }
  });

  it("maps through mappings/sle-*.yaml to mist.site.sle.* gauges at the bucket's time, the three the site-sle topic has declared identically", () => {
    const mappings = loadMappings();
    const bucket = bucketAt(9, 50);
    const site = 'f5fcbee5-1234-5678-9101-1619ede87879';
    const row = {
      site_id: site,
      num_aps: 3,
      num_clients: 24,
      'ap-availability': 1,
      'ap-health': 0.67,
      capacity: 0.98,
      coverage: 0.81,
      roaming: 1,
      'successful-connect': 0.95,
      throughput: 1,
      'time-to-connect': 0.97,
      start: bucket,
      end: bucket + 600,
    };
    const mapped = mappings.engine.map('sle', 'wifi', row, 1n, { org_id: 'org-1' });
    expect(mapped.logs).toEqual([]);
    expect(Object.fromEntries(mapped.metrics.map((m) => [m.name, m.value]))).toEqual({
      'mist.site.sle.ap_availability': 1,
      'mist.site.sle.successful_connect': 0.95,
      'mist.site.sle.time_to_connect': 0.97,
      'mist.site.sle.ap_health': 0.67,
      'mist.site.sle.capacity': 0.98,
      'mist.site.sle.coverage': 0.81,
      'mist.site.sle.roaming': 1,
      'mist.site.sle.throughput': 1,
    });
    for (const m of mapped.metrics) {
      expect(m.timeNs).toBe(BigInt(bucket) * 1_000_000_000n);
      expect(m.attributes).toEqual({ 'mist.org_id': 'org-1', 'mist.site_id': site });
    }
    const wan = mappings.engine.map(
      'sle',
      'wan',
      { site_id: site, num_gateways: 1, application_health: 0.8, 'gateway-health': 1, 'wan-link-health': null, start: bucket },
      1n,
      { org_id: 'o' },
    );
    // A metric Mist has no value for (null) has no point; counts are not SLEs.
    expect(wan.metrics.map((m) => m.name).sort()).toEqual(['mist.site.sle.application_health', 'mist.site.sle.gateway_health']);

    const siteSle = mappings.sources.find((s) => s.spec.topic === 'site-sle')!.spec.metrics.map((m) => m.name);
    const declared = new Map(mappings.metrics.map((d) => [d.name, d]));
    const wifi = mappings.sources.find((s) => s.spec.topic === 'sle:wifi')!;
    for (const name of siteSle) {
      expect(
        wifi.spec.metrics.find((m) => m.name === name),
        name,
      ).toBeDefined();
      expect(mappings.metrics.filter((d) => d.name === name)).toHaveLength(1);
    }
    // Every SLE the stand-in's families return is named mist.site.sle.<key with _>.
    for (const key of [...SLE_METRICS.wifi, ...SLE_METRICS.wired, ...SLE_METRICS.wan]) {
      expect(declared.get(`mist.site.sle.${key.replace(/-/g, '_')}`), key).toMatchObject({ instrument: 'gauge', unit: '1', gauge: 'sample' });
    }
  });
});

describe('SLE poller: each bucket once', () => {
  it('in overlapping polls, while a bucket waits for its export, and after it is done (the state file says which)', async () => {
    const out = new Export();
    const { poller: p } = poller(out, { families: ['wifi'] });
    await Promise.all([p.poll(), p.poll(), p.poll()]);
    expect(sleCalls()).toEqual([`wifi@${bucketAt(9, 50)}`]);
    // Not exported yet: later polls do not fetch it again, and the state does not count it.
    now += 10 * 60_000;
    await p.poll();
    expect(out.buckets()).toEqual([bucketAt(9, 50), bucketAt(10, 0)]);
    expect(stateFile()).toEqual({ version: 1, orgs: { [mist.orgId]: { wifi: { through: bucketAt(9, 40), later: [] } } } });
    out.exportAll();
    expect(stateFile()).toEqual({ version: 1, orgs: { [mist.orgId]: { wifi: { through: bucketAt(10, 0), later: [] } } } });
    await p.poll();
    expect(sleCalls()).toHaveLength(2);
  });

  it('after a crash before the first bucket was exported, a restart buckets later fetches it too', async () => {
    await poller(new Export(), { families: ['wifi'] }).poller.poll();
    now += 20 * 60_000;
    const after = new Export();
    await poller(after, { families: ['wifi'] }).poller.poll();
    expect(after.buckets()).toEqual([bucketAt(9, 50), bucketAt(10, 0), bucketAt(10, 10)]);
  });

  it('after a restart: a bucket exported is not fetched again, one handed on but not exported (a crash) is', async () => {
    const first = new Export();
    await poller(first, { families: ['wired'] }).poller.poll();
    first.exportAll();
    now += 10 * 60_000;
    await poller(first, { families: ['wired'] }).poller.poll();
    // The process dies before this bucket's collection is exported.
    expect(first.buckets()).toEqual([bucketAt(9, 50), bucketAt(10, 0)]);

    const second = new Export();
    await poller(second, { families: ['wired'] }).poller.poll();
    expect(second.buckets()).toEqual([bucketAt(10, 0)]);
    second.exportAll();
    expect(sleCalls()).toEqual([`wired@${bucketAt(9, 50)}`, `wired@${bucketAt(10, 0)}`, `wired@${bucketAt(10, 0)}`]);
  });

  it('a bucket with nothing to export is done at once, before an older one still being exported: the state keeps both apart', async () => {
    const out = new Export();
    const { poller: p } = poller(out, { families: ['wan'] });
    await p.poll();
    now += 10 * 60_000;
    mist.orgs[0]!.sites.splice(0); // the next bucket has no site
    await p.poll();
    expect(stateFile()).toEqual({ version: 1, orgs: { [mist.orgId]: { wan: { through: bucketAt(9, 40), later: [bucketAt(10, 0)] } } } });
    out.exportAll();
    expect(stateFile()).toEqual({ version: 1, orgs: { [mist.orgId]: { wan: { through: bucketAt(10, 0), later: [] } } } });
  });

  it('without a data directory, keeps its place in memory only', async () => {
    const out = new Export();
    const { poller: p, state } = poller(out, { families: ['wifi'], dataDir: null });
    await p.poll();
    out.exportAll();
    expect(state.file).toBeUndefined();
    expect(state.mark(mist.orgId, 'wifi')).toEqual({ through: bucketAt(9, 50), later: [] });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('moves a damaged state file aside and starts afresh', async () => {
    writeFileSync(join(dir, SLE_STATE_FILE), '{"version": 1, "orgs": {"x": {"wifi": {"through": "soon"}}}}');
    const out = new Export();
    await poller(out, { families: ['wifi'] }).poller.poll();
    expect(out.buckets()).toEqual([bucketAt(9, 50)]);
    expect(readdirSync(dir).sort()).toEqual([SLE_STATE_FILE, `${SLE_STATE_FILE}.damaged`]);
    expect(lines.join('\n')).toContain('the SLE poller state file is damaged; moved aside');
  });
});

describe('SLE poller: outages', () => {
  it('backfills the buckets missed during an outage, oldest first, back to 24 hours', async () => {
    const out = new Export();
    await poller(out, { families: ['wired'] }).poller.poll();
    out.exportAll();
    now += 30 * 3_600_000;
    const [result] = (await poller(out, { families: ['wired'] }).poller.poll()).tracks;
    const newest = bucketAt(9, 50) + 30 * 3600;
    expect(result!.buckets).toHaveLength(145);
    expect(result!.buckets[0]).toBe(newest - 144 * SLE_BUCKET_SECONDS);
    expect(result!.buckets.at(-1)).toBe(newest);
    expect(lines.join('\n')).toMatch(
      /SLE buckets older than the backfill window are skipped.*"from":"2025-06-02T10:00:00.000Z","to":"2025-06-02T15:50:00.000Z"/,
    );
    // Every bucket's rows carry that bucket's own values.
    const mid = out.batches[73]!;
    const row = mid.events[1] as Record<string, number | string>;
    expect(row['switch-bandwidth']).toBe(sleValue(row.site_id as string, 'switch-bandwidth', row.start as number));
  });

  it('stops a family at a failing bucket and resumes from it at the next poll; the other families go on', async () => {
    const out = new Export();
    const { poller: p } = poller(out);
    mist.fail({ path: /insights\/sites-sle/, status: 403, times: 1 });
    const first = await p.poll();
    expect(first.tracks[0]).toMatchObject({
      track: 'wifi',
      buckets: [],
      error: `Mist answered 403 to GET /api/v1/orgs/${mist.orgId}/insights/sites-sle: You do not have permission to perform this action.`,
    });
    expect(first.tracks.slice(1).map((t) => t.buckets.length)).toEqual([1, 1]);
    const second = await p.poll();
    expect(second.tracks.map((t) => t.buckets)).toEqual([[bucketAt(9, 50)], [], []]);
  });

  it('leaves new buckets at Mist while the metric export is failing', async () => {
    let exporting = false;
    const out = new Export();
    const { poller: p } = poller(out, { accepting: () => exporting });
    expect(await p.poll()).toEqual({ tracks: [], skipped: 'the metric export is failing: new buckets wait at Mist until it recovers' });
    expect(mist.calls).toEqual([]);
    exporting = true;
    expect((await p.poll()).tracks.map((t) => t.buckets.length)).toEqual([1, 1, 1]);
  });
});

describe('SLE poller: classifiers', () => {
  it('per site and metric, one summary-trend call over the buckets due: one event per classifier and 10-minute sample', async () => {
    const out = new Export();
    const { poller: p } = poller(out, { families: ['wifi'], classifiers: true });
    await p.poll();
    const sites = mist.orgs[0]!.sites;
    const trend = mist.calls.filter((c) => c.path.endsWith('/summary-trend'));
    expect(mist.calls.filter((c) => c.path.endsWith('/metrics')).map((c) => c.path)).toEqual(sites.map((s) => `/sites/${s.id}/sle/site/${s.id}/metrics`));
    expect(trend).toHaveLength(sites.length * SITE_SLE_METRICS.enabled.length);
    expect(trend[0]).toMatchObject({
      path: `/sites/${sites[0]!.id}/sle/site/${sites[0]!.id}/metric/coverage/summary-trend`,
      query: { start: String(bucketAt(9, 50)), end: String(bucketAt(10, 0)) },
    });
    const batch = out.batches.find((b) => b.kind === 'classifiers')!;
    expect(batch.events).toHaveLength(sites.length * SITE_SLE_METRICS.enabled.length * SLE_CLASSIFIERS.length);
    expect(batch.events).toContainEqual({
      site_id: sites[1]!.id,
      metric: 'switch_health',
      classifier: 'weak-signal',
      start: bucketAt(9, 50),
      end: bucketAt(10, 0),
      degraded: Math.round(50 * (1 - sleValue(sites[1]!.id, 'switch_health/weak-signal', bucketAt(9, 50)))),
      total: 100,
    });
    const mapped = loadMappings().engine.map('sle', 'classifiers', batch.events[0], 1n, { org_id: mist.orgId });
    expect(mapped.metrics).toEqual([
      {
        name: 'mist.site.sle.classifier.degraded',
        value: (batch.events[0] as { degraded: number }).degraded,
        timeNs: BigInt(bucketAt(9, 50)) * 1_000_000_000n,
        attributes: { 'mist.org_id': mist.orgId, 'mist.site_id': sites[0]!.id, 'mist.sle_metric': 'coverage', 'mist.sle_classifier': 'weak-signal' },
      },
    ]);

    // 40 minutes later, one call per site and metric covers the four buckets since; the metric lists are still fresh.
    out.exportAll();
    now += 40 * 60_000;
    mist.calls.length = 0;
    await p.poll();
    expect(mist.calls.filter((c) => c.path.endsWith('/metrics'))).toEqual([]);
    expect(mist.calls.filter((c) => c.path.endsWith('/summary-trend'))).toHaveLength(sites.length * SITE_SLE_METRICS.enabled.length);
    expect(out.buckets('classifiers')).toEqual([bucketAt(9, 50), bucketAt(10, 0)]);
    expect(new Set(out.batches.at(-1)!.events.map((e) => (e as { start: number }).start))).toEqual(
      new Set([bucketAt(10, 0), bucketAt(10, 10), bucketAt(10, 20), bucketAt(10, 30)]),
    );
  });

  it('skips a metric Mist refuses, and retries every bucket after any other failure', async () => {
    const out = new Export();
    const { poller: p } = poller(out, { families: ['wan'], classifiers: true });
    const site = mist.orgs[0]!.sites[0]!.id;
    mist.fail({ path: `/sites/${site}/sle/site/${site}/metric/roaming/summary-trend`, status: 404 });
    mist.fail({ path: /summary-trend$/, status: 503, times: 1 });
    const first = await p.poll();
    expect(first.tracks[1]).toMatchObject({ track: 'classifiers', buckets: [], error: expect.stringContaining('Mist answered 503') });
    const second = await p.poll();
    expect(second.tracks[1]!.buckets).toEqual([bucketAt(9, 50)]);
    const events = out.batches.find((b) => b.kind === 'classifiers')!.events as { site_id: string; metric: string }[];
    expect(events.some((e) => e.site_id === site && e.metric === 'roaming')).toBe(false);
    expect(events.some((e) => e.site_id !== site && e.metric === 'roaming')).toBe(true);
    expect(lines.join('\n')).toContain("Mist refused an SLE metric's summary-trend");
  });
});

describe('SLE poller: schedule and plan', () => {
  it('looks on the interval grid shifted by the settle time', () => {
    expect(new Date(nextPollAt(T0, 600_000)).toISOString()).toBe('2025-06-02T10:15:00.000Z');
    expect(new Date(nextPollAt(Date.UTC(2025, 5, 2, 10, 15), 600_000)).toISOString()).toBe('2025-06-02T10:25:00.000Z');
    expect(nextPollAt(T0 + 300, 1_000)).toBe(T0 + 1_000);
  });

  it('plans its calls per hour for the budget: per bucket and page of sites, classifiers per site, metric and poll', () => {
    const options = { families: 3, intervalMs: 600_000, pageSize: 100, classifiers: true };
    expect(slePlans(options)).toEqual([
      {
        name: 'SLE poller',
        callsPerHour: 18,
        how: '3 SLE families × 1 page (sites not known before the first poll, 100 per page) × 6 ten-minute buckets per hour',
      },
      { name: 'SLE classifiers', callsPerHour: 85, how: '1 site at least × 14 metrics until listed × 6 polls per hour + 1 metric listing per hour' },
    ]);
    expect(slePlans(options, { sites: 250, siteMetrics: 2_500 })).toEqual([
      { name: 'SLE poller', callsPerHour: 54, how: '3 SLE families × 3 pages (250 sites, 100 per page) × 6 ten-minute buckets per hour' },
      { name: 'SLE classifiers', callsPerHour: 15_250, how: '2,500 site metrics (250 sites) × 6 polls per hour + 250 metric listings per hour' },
    ]);
    // Looking more often fetches no bucket twice; looking less often saves classifier calls only.
    expect(slePlans({ ...options, intervalMs: 1_000 }, { sites: 2 }).map((p) => p.callsPerHour)).toEqual([18, 2 * 14 * 6 + 2]);
    expect(slePlans({ ...options, intervalMs: 1_800_000 }, { sites: 2 }).map((p) => p.callsPerHour)).toEqual([18, 2 * 14 * 2 + 2]);
    expect(() => new CallBudget({ share: 0.5 }).validate(slePlans(options, { sites: 250, siteMetrics: 2_500 }))).toThrow(BudgetError);
  });
});
