import type { PlannedUse } from '../../mist-api/budget.js';
import type { SitesSle } from '../../mist-api/client.js';
import type { Clock } from '../../mist-api/clock.js';
import { SLE_FAMILIES, type SleFamily } from '../../mist-api/types.js';
import type { Logger } from '../../log/logger.js';
import type { MetricOutput } from '../../mapping/types.js';
import type { SleState } from './state.js';

/** Mist computes SLEs in 10-minute buckets. */
export const SLE_BUCKET_SECONDS = 600;

/** The part of the API client the poller uses. */
export interface SitesSleSource {
  sitesSle(orgId: string, family: SleFamily, start: number, end: number, signal?: AbortSignal): Promise<SitesSle>;
}

export interface SlePollerOptions {
  client: SitesSleSource;
  orgId: string;
  clock: Clock;
  state: SleState;
  /** Receives each bucket's points; the bucket counts as exported once this resolves. */
  emit: (points: MetricOutput[]) => void | Promise<void>;
  /** Metric name of each SLE key (see sleMetricNames). */
  metricName: (key: string) => string;
  families?: readonly SleFamily[];
  /** A bucket is asked for this long after it ends, so Mist has computed it. */
  settleSeconds?: number;
  /** After an outage, buckets older than this are not fetched. */
  backfillSeconds?: number;
  log?: Logger;
}

export interface FamilyPoll {
  family: SleFamily;
  /** Start (epoch s) of each bucket exported by this poll, oldest first. */
  buckets: number[];
  points: number;
  /** Why this family stopped early; its next poll starts again from the first bucket not exported. */
  error?: string;
}

/** Per poll: one paginated call per family and bucket (normally one bucket). */
export function slePlan(options: { families: number; siteCount: number; pageSize: number; intervalMs: number }): PlannedUse {
  const pages = Math.max(1, Math.ceil(options.siteCount / options.pageSize));
  const polls = 3_600_000 / options.intervalMs;
  return {
    name: 'SLE poller',
    callsPerHour: options.families * pages * polls,
    how: `${options.families} SLE families × ${pages} page${pages === 1 ? '' : 's'} (${options.siteCount} sites, ${options.pageSize} per page) × ${Math.round(polls * 100) / 100} polls per hour`,
  };
}

/**
 * Polls Mist's org-wide site SLEs (`/insights/sites-sle`, one paginated call per family and
 * bucket) and emits one gauge point per site and SLE fraction, stamped with the start of its
 * 10-minute bucket. Each whole bucket is exported once: the last one per family is remembered
 * in the state file, polls never overlap, and after an outage the missed buckets are fetched
 * oldest first, back to `backfillSeconds` ago.
 */
export class SlePoller {
  private readonly families: readonly SleFamily[];
  private readonly settle: number;
  private readonly backfill: number;
  private running: Promise<FamilyPoll[]> = Promise.resolve([]);

  constructor(private readonly options: SlePollerOptions) {
    this.families = options.families ?? SLE_FAMILIES;
    this.settle = options.settleSeconds ?? 300;
    this.backfill = options.backfillSeconds ?? 86_400;
  }

  /** One poll; a poll asked for while one runs starts after it (and finds nothing new to do twice). */
  poll(signal?: AbortSignal): Promise<FamilyPoll[]> {
    const next = this.running.then(
      () => this.pollNow(signal),
      () => this.pollNow(signal),
    );
    this.running = next;
    return next;
  }

  /** Polls now, then after each bucket ends (plus the settle time), until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.poll(signal);
      const nowS = this.options.clock.now() / 1000;
      const due = (Math.floor((nowS - this.settle) / SLE_BUCKET_SECONDS) + 1) * SLE_BUCKET_SECONDS + this.settle;
      await this.options.clock.sleep((due - nowS) * 1000, signal).catch(() => undefined);
    }
  }

  private async pollNow(signal: AbortSignal | undefined): Promise<FamilyPoll[]> {
    const nowS = Math.floor(this.options.clock.now() / 1000);
    // The newest bucket that ended at least `settle` seconds ago.
    const newest = Math.floor((nowS - this.settle) / SLE_BUCKET_SECONDS) * SLE_BUCKET_SECONDS - SLE_BUCKET_SECONDS;
    const oldest = newest - Math.floor(this.backfill / SLE_BUCKET_SECONDS - 1) * SLE_BUCKET_SECONDS;
    const results: FamilyPoll[] = [];
    for (const family of this.families) results.push(await this.pollFamily(family, newest, oldest, signal));
    return results;
  }

  private async pollFamily(family: SleFamily, newest: number, oldest: number, signal: AbortSignal | undefined): Promise<FamilyPoll> {
    const { orgId, state } = this.options;
    const last = state.lastBucket(orgId, family);
    // A first start exports the newest bucket only: there is no outage to make up for.
    const from = last === undefined ? newest : Math.max(last + SLE_BUCKET_SECONDS, oldest);
    const result: FamilyPoll = { family, buckets: [], points: 0 };
    if (last !== undefined && last + SLE_BUCKET_SECONDS < oldest) {
      this.options.log?.warn('SLE buckets older than the backfill window are skipped', { family, from: last + SLE_BUCKET_SECONDS, to: oldest - SLE_BUCKET_SECONDS });
    }
    for (let bucket = from; bucket <= newest; bucket += SLE_BUCKET_SECONDS) {
      if (signal?.aborted) break;
      try {
        const sle = await this.options.client.sitesSle(orgId, family, bucket, bucket + SLE_BUCKET_SECONDS, signal);
        const points = this.points(sle, bucket);
        await this.options.emit(points);
        await state.markExported(orgId, family, bucket);
        result.buckets.push(bucket);
        result.points += points.length;
      } catch (err) {
        if (signal?.aborted) break;
        result.error = (err as Error).message;
        this.options.log?.warn('SLE poll failed; the bucket is fetched again on the next poll', { family, bucket, error: result.error });
        break;
      }
    }
    return result;
  }

  /** SLE fractions only: counts (`num_*`) and anything that is not a number in [0, 1] are left out. */
  private points(sle: SitesSle, bucket: number): MetricOutput[] {
    const timeNs = BigInt(bucket) * 1_000_000_000n;
    const points: MetricOutput[] = [];
    for (const row of sle.results) {
      for (const [key, value] of Object.entries(row)) {
        if (key === 'site_id' || key.startsWith('num_') || typeof value !== 'number' || !(value >= 0 && value <= 1)) continue;
        points.push({ name: this.options.metricName(key), value, timeNs, attributes: { 'mist.org_id': this.options.orgId, 'mist.site_id': row.site_id } });
      }
    }
    return points;
  }
}
