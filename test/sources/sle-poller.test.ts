import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallBudget } from '../../src/mist-api/budget.js';
import type { Clock } from '../../src/mist-api/clock.js';
import { createMistClient } from '../../src/mist-api/create.js';
import { loadMappings } from '../../src/mapping/loader.js';
import type { MetricOutput } from '../../src/mapping/types.js';
import { sleMetricNames } from '../../src/sources/sle/names.js';
import { slePlan, SlePoller, SLE_BUCKET_SECONDS } from '../../src/sources/sle/poller.js';
import { SleState, SLE_STATE_FILE } from '../../src/sources/sle/state.js';
import { sleValue, SLE_METRICS } from '../support/mist-rest/fixtures.js';
import { startMistRest, type MistRest } from '../support/mist-rest/server.js';

/** The SLE poller core against the stand-in of Mist's REST API, with a clock the test moves. */

// 10:07:00 UTC: with the 5-minute settle time, 09:50–10:00 is the newest whole bucket to fetch.
const T0 = Date.UTC(2025, 5, 2, 10, 7, 0);
const bucketAt = (h: number, m: number) => Date.UTC(2025, 5, 2, h, m) / 1000;

let mist: MistRest;
let dir: string;
let now: number;
const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
const names = sleMetricNames();

beforeEach(async () => {
  mist = await startMistRest();
  dir = mkdtempSync(join(tmpdir(), 'sle-poller-'));
  now = T0;
});
afterEach(async () => {
  await mist.close();
  rmSync(dir, { recursive: true, force: true });
});

async function poller(emitted: MetricOutput[][], families?: ('wifi' | 'wired' | 'wan')[]) {
  const client = createMistClient({ token: mist.token, baseUrl: mist.url }, new CallBudget(), { retries: 0 });
  return new SlePoller({
    client,
    orgId: mist.orgId,
    clock,
    state: await SleState.open(dir),
    emit: (points) => void emitted.push(points),
    metricName: names,
    ...(families ? { families } : {}),
  });
}

const bucketsOf = (batches: MetricOutput[][]) => batches.map((b) => Number(b[0]!.timeNs / 1_000_000_000n));

describe('SLE poller', () => {
  it('reuses the exact metric names of the site-sle webhook mapping', () => {
    const mapped = loadMappings().sources.find((s) => s.spec.topic === 'site-sle')!.spec.metrics.map((m) => m.name);
    expect(mapped.sort()).toEqual(['mist.site.sle.ap_availability', 'mist.site.sle.successful_connect', 'mist.site.sle.time_to_connect']);
    expect(['ap-availability', 'successful-connect', 'time-to-connect'].map(names)).toEqual(mapped);
    expect(names('wan-link-health')).toBe('mist.site.sle.wan_link_health');
    expect(names('application_health')).toBe('mist.site.sle.application_health');
  });

  it('exports the newest whole bucket of each family: one point per site and SLE fraction, at the bucket\'s own time', async () => {
    const emitted: MetricOutput[][] = [];
    const result = await (await poller(emitted)).poll();
    const bucket = bucketAt(9, 50);
    expect(result.map((r) => [r.family, r.buckets])).toEqual([['wifi', [bucket]], ['wired', [bucket]], ['wan', [bucket]]]);
    expect(mist.calls.map((c) => [c.query.sle, c.query.start, c.query.end])).toEqual(
      ['wifi', 'wired', 'wan'].map((f) => [f, String(bucket), String(bucket + SLE_BUCKET_SECONDS)]),
    );
    const points = emitted.flat();
    const sites = mist.orgs[0]!.sites;
    const metrics = [...SLE_METRICS.wifi, ...SLE_METRICS.wired, ...SLE_METRICS.wan];
    expect(points).toHaveLength(sites.length * metrics.length);
    for (const site of sites) {
      for (const metric of metrics) {
        const p = points.find((x) => x.name === names(metric) && x.attributes['mist.site_id'] === site.id);
        expect(p, `${metric} of ${site.name}`).toEqual({ name: names(metric), value: sleValue(site.id, metric, bucket), timeNs: BigInt(bucket) * 1_000_000_000n, attributes: { 'mist.org_id': mist.orgId, 'mist.site_id': site.id } });
      }
    }
    // Counts are not SLE fractions.
    expect(points.some((p) => p.name.includes('num_'))).toBe(false);
  });

  it('exports each bucket once: again in the same bucket, in overlapping polls, and after a restart', async () => {
    const emitted: MetricOutput[][] = [];
    const p = await poller(emitted, ['wifi']);
    await Promise.all([p.poll(), p.poll(), p.poll()]);
    now += 60_000;
    await p.poll();
    expect(bucketsOf(emitted)).toEqual([bucketAt(9, 50)]);

    // A restart reads the state file; 30 minutes later the three buckets since are exported, oldest first.
    now += 30 * 60_000;
    const restarted = await poller(emitted, ['wifi']);
    await restarted.poll();
    await restarted.poll();
    expect(bucketsOf(emitted)).toEqual([bucketAt(9, 50), bucketAt(10, 0), bucketAt(10, 10), bucketAt(10, 20)]);
    expect(JSON.parse(readFileSync(join(dir, SLE_STATE_FILE), 'utf8'))).toEqual({ version: 1, orgs: { [mist.orgId]: { wifi: bucketAt(10, 20) } } });
    expect(readdirSync(dir)).toEqual([SLE_STATE_FILE]);
  });

  it('backfills the buckets missed during an outage, back to 24 hours', async () => {
    const emitted: MetricOutput[][] = [];
    await (await poller(emitted, ['wired'])).poll();
    now += 30 * 3_600_000;
    const [result] = await (await poller(emitted, ['wired'])).poll();
    const newest = bucketAt(9, 50) + 30 * 3600;
    expect(result!.buckets).toHaveLength(144);
    expect(result!.buckets[0]).toBe(newest - 143 * SLE_BUCKET_SECONDS);
    expect(result!.buckets.at(-1)).toBe(newest);
    // Every bucket's points carry that bucket's own values.
    const mid = emitted[72]!;
    const at = Number(mid[0]!.timeNs / 1_000_000_000n);
    expect(mid[0]!.value).toBe(sleValue(mid[0]!.attributes['mist.site_id'] as string, 'switch-bandwidth', at));
  });

  it('stops a family at a failing bucket and resumes from it on the next poll', async () => {
    const emitted: MetricOutput[][] = [];
    const p = await poller(emitted);
    mist.fail({ path: /insights\/sites-sle/, status: 403, times: 1 });
    const first = await p.poll();
    expect(first[0]).toMatchObject({ family: 'wifi', buckets: [], error: `Mist answered 403 to GET /api/v1/orgs/${mist.orgId}/insights/sites-sle: You do not have permission to perform this action.` });
    expect(first.slice(1).map((r) => r.buckets.length)).toEqual([1, 1]);
    const second = await p.poll();
    expect(second.map((r) => r.buckets)).toEqual([[bucketAt(9, 50)], [], []]);
  });

  it('run() polls again once each next bucket has ended and settled, until stopped', async () => {
    const stop = new AbortController();
    const polledAt: number[] = [];
    const emitted: MetricOutput[][] = [];
    const client = createMistClient({ token: mist.token, baseUrl: mist.url }, new CallBudget(), { retries: 0 });
    const watched = new SlePoller({
      client: { sitesSle: (...args) => (polledAt.push(now), client.sitesSle(...args)) },
      orgId: mist.orgId,
      clock,
      state: await SleState.open(dir),
      emit: (points) => {
        emitted.push(points);
        if (emitted.length === 3) stop.abort();
      },
      metricName: names,
      families: ['wan'],
    });
    await watched.run(stop.signal);
    expect(bucketsOf(emitted)).toEqual([bucketAt(9, 50), bucketAt(10, 0), bucketAt(10, 10)]);
    // 10:07 at once, then 10:15 and 10:25: each bucket's end plus the 5-minute settle time.
    expect(polledAt).toEqual([T0, Date.UTC(2025, 5, 2, 10, 15), Date.UTC(2025, 5, 2, 10, 25)]);
  });

  it('plans its calls per hour for the budget check, which refuses a plan over the share with the arithmetic', () => {
    const budget = new CallBudget({ share: 0.5 });
    expect(slePlan({ families: 3, siteCount: 250, pageSize: 100, intervalMs: 600_000 })).toEqual({
      name: 'SLE poller',
      callsPerHour: 54,
      how: '3 SLE families × 3 pages (250 sites, 100 per page) × 6 polls per hour',
    });
    expect(() => budget.validate([slePlan({ families: 3, siteCount: 20_000, pageSize: 100, intervalMs: 60_000 })])).toThrow(
      'the planned Mist API use needs 36,000 calls per hour, more than the 2,500 this process may make',
    );
  });
});
