import { BatchAck } from '../../acks/ack.js';
import type { Logger } from '../../log/logger.js';
import type { MistClient, SitesSle } from '../../mist-api/client.js';
import type { Clock } from '../../mist-api/clock.js';
import { MistApiError } from '../../mist-api/errors.js';
import { SLE_FAMILIES, type SleFamily, type SleSummaryTrend } from '../../mist-api/types.js';
import type { Batch, BatchConsumer, Receipt } from '../contract.js';
import { newestBucket, SLE_BUCKET_SECONDS, SLE_SETTLE_SECONDS } from './buckets.js';
import { SITE_METRICS_REFRESH_MS, type SleScale } from './plan.js';
import type { SleState, SleTrack } from './state.js';

/** The calls of Mist's API the poller makes (the shared MistClient). */
export type SleApi = Pick<MistClient, 'sitesSle' | 'sleMetrics' | 'sleSummaryTrend'>;

export interface SlePollerOptions {
  api: SleApi;
  /** The org: configured, or resolved from the token (GET /self) when first asked. */
  org: () => Promise<string>;
  state: SleState;
  /** Processing: each bucket's rows as one batch, mapped by mappings/sle-*.yaml. */
  next: BatchConsumer;
  clock: Clock;
  families?: readonly SleFamily[];
  /** Whether to fetch classifiers now (on in the settings, and within the call budget). */
  classifiers: () => boolean;
  /** After an outage, buckets more than this before the newest are given up. */
  backfillSeconds: number;
  settleSeconds?: number;
  /**
   * False while new buckets had better wait at Mist (the metric export is failing): what Mist
   * keeps need not be held in the bridge's memory meanwhile.
   */
  accepting?: () => boolean;
  log: Logger;
}

/** What one poll did for one track. */
export interface TrackPoll {
  track: SleTrack;
  /** Start (epoch s) of each bucket fetched and handed on, oldest first. */
  buckets: number[];
  events: number;
  /** Why the track stopped early; its next poll starts again from the first bucket not handed on. */
  error?: string;
}

export interface PollResult {
  tracks: TrackPoll[];
  /** Why nothing was fetched although nothing failed: the metric export is failing. */
  skipped?: string;
  /** Why nothing could be fetched: the org is not known. */
  error?: string;
}

const SITE_SCOPE = (siteId: string) => ({ kind: 'site', id: siteId });

/**
 * Fetches Mist's SLEs bucket by bucket and hands each bucket to processing as a batch of kind
 * `wifi`, `wired` or `wan` (one event per site's row, stamped with the bucket's `start` and
 * `end`) or `classifiers`, with an acknowledgement. A bucket counts as done, in the state, only
 * once every signal derived from it was exported: one polled but not exported before a crash is
 * polled again after the restart. A bucket handed on and not yet done is not fetched again by a
 * later poll, and polls never run at the same time, so no bucket is handed on twice.
 */
export class SlePoller {
  private readonly families: readonly SleFamily[];
  private readonly settle: number;
  private readonly backfillBuckets: number;
  /** Per track, buckets handed on and not yet done. */
  private readonly inFlight = new Map<SleTrack, Set<number>>();
  /** Per family, the sites of its latest answer. */
  private readonly sites = new Map<SleFamily, readonly string[]>();
  private readonly siteMetrics = new Map<string, { metrics: readonly string[]; listedAt: number }>();
  /** Site and metric pairs Mist refused (a 4xx): not asked again until the site's metrics are listed again. */
  private readonly refused = new Set<string>();
  private running: Promise<PollResult> = Promise.resolve({ tracks: [] });

  constructor(private readonly options: SlePollerOptions) {
    this.families = options.families ?? SLE_FAMILIES;
    this.settle = options.settleSeconds ?? SLE_SETTLE_SECONDS;
    this.backfillBuckets = Math.floor(options.backfillSeconds / SLE_BUCKET_SECONDS);
  }

  /** One poll; one asked for while another runs starts after it. */
  poll(signal?: AbortSignal): Promise<PollResult> {
    const next = this.running.then(
      () => this.pollNow(signal),
      () => this.pollNow(signal),
    );
    this.running = next;
    return next;
  }

  /** What the polls so far tell of the org's size. */
  scale(): SleScale {
    const sites = this.knownSites();
    if (sites.length === 0) return {};
    const listed = sites.map((s) => this.siteMetrics.get(s));
    const siteMetrics = listed.every((l) => l !== undefined) ? listed.reduce((n, l) => n + l!.metrics.length, 0) : undefined;
    return siteMetrics === undefined ? { sites: sites.length } : { sites: sites.length, siteMetrics };
  }

  private async pollNow(signal: AbortSignal | undefined): Promise<PollResult> {
    if (this.options.accepting && !this.options.accepting())
      return { tracks: [], skipped: 'the metric export is failing: new buckets wait at Mist until it recovers' };
    let orgId: string;
    try {
      orgId = await this.options.org();
    } catch (err) {
      return { tracks: [], error: `the org is not known: ${(err as Error).message}` };
    }
    const newest = newestBucket(this.options.clock.now(), this.settle);
    const oldest = newest - this.backfillBuckets * SLE_BUCKET_SECONDS;
    const tracks: TrackPoll[] = [];
    for (const family of this.families) {
      if (signal?.aborted) break;
      tracks.push(await this.pollFamily(orgId, family, oldest, newest, signal));
    }
    if (this.options.classifiers() && !signal?.aborted) tracks.push(await this.pollClassifiers(orgId, oldest, newest, signal));
    return { tracks };
  }

  /** The buckets of `track` to fetch now: not done, not handed on already. */
  private due(orgId: string, track: SleTrack, oldest: number, newest: number): number[] {
    const { buckets, skipped } = this.options.state.toFetch(orgId, track, oldest, newest);
    if (skipped) {
      this.options.log.warn('SLE buckets older than the backfill window are skipped (sle.backfillHours)', {
        track,
        from: new Date(skipped.from * 1000).toISOString(),
        to: new Date((skipped.to + SLE_BUCKET_SECONDS) * 1000).toISOString(),
      });
    }
    const flying = this.flying(track);
    return buckets.filter((b) => !flying.has(b));
  }

  private async pollFamily(orgId: string, family: SleFamily, oldest: number, newest: number, signal: AbortSignal | undefined): Promise<TrackPoll> {
    const result: TrackPoll = { track: family, buckets: [], events: 0 };
    for (const bucket of this.due(orgId, family, oldest, newest)) {
      let sle: SitesSle;
      try {
        sle = await this.options.api.sitesSle(orgId, family, bucket, bucket + SLE_BUCKET_SECONDS, signal);
      } catch (err) {
        if (signal?.aborted) break;
        // Later buckets wait for this one: a series' points are exported in time order only.
        result.error = (err as Error).message;
        this.options.log.warn('SLE poll failed; the bucket is fetched again at the next poll', {
          family,
          bucket: new Date(bucket * 1000).toISOString(),
          error: result.error,
        });
        break;
      }
      this.sites.set(
        family,
        sle.results.map((r) => r.site_id),
      );
      const events = sle.results.map((row) => ({ ...row, start: bucket, end: bucket + SLE_BUCKET_SECONDS }));
      this.hand(orgId, family, [bucket], events);
      result.buckets.push(bucket);
      result.events += events.length;
    }
    return result;
  }

  /**
   * Per site and metric, one `summary-trend` call over every bucket due: each classifier's
   * samples become events. A failure (other than Mist refusing one metric) leaves every bucket due
   * for the next poll, so each is handed on whole, once.
   */
  private async pollClassifiers(orgId: string, oldest: number, newest: number, signal: AbortSignal | undefined): Promise<TrackPoll> {
    const result: TrackPoll = { track: 'classifiers', buckets: [], events: 0 };
    const due = this.due(orgId, 'classifiers', oldest, newest);
    const sites = this.knownSites();
    if (due.length === 0 || sites.length === 0) return result;
    const wanted = new Set(due);
    const start = due[0]!;
    const end = due.at(-1)! + SLE_BUCKET_SECONDS;
    const events: Record<string, unknown>[] = [];
    try {
      for (const site of sites) {
        for (const metric of await this.metricsOf(site, signal)) {
          const pair = `${site}\u0000${metric}`;
          if (this.refused.has(pair)) continue;
          let trend: SleSummaryTrend;
          try {
            trend = await this.options.api.sleSummaryTrend(site, SITE_SCOPE(site), metric, start, end, signal);
          } catch (err) {
            if (!refusedByMist(err)) throw err;
            this.refused.add(pair);
            this.options.log.warn("Mist refused an SLE metric's summary-trend; it is not asked again until the site's metrics are listed again", {
              site,
              metric,
              error: (err as Error).message,
            });
            continue;
          }
          events.push(...classifierEvents(site, metric, trend, wanted));
        }
      }
    } catch (err) {
      if (!signal?.aborted) {
        result.error = (err as Error).message;
        this.options.log.warn('SLE classifier poll failed; its buckets are fetched again at the next poll', { error: result.error });
      }
      return result;
    }
    this.hand(orgId, 'classifiers', due, events);
    result.buckets = due;
    result.events = events.length;
    return result;
  }

  private async metricsOf(site: string, signal: AbortSignal | undefined): Promise<readonly string[]> {
    const now = this.options.clock.now();
    const cached = this.siteMetrics.get(site);
    if (cached && now - cached.listedAt < SITE_METRICS_REFRESH_MS) return cached.metrics;
    let metrics: readonly string[];
    try {
      metrics = (await this.options.api.sleMetrics(site, SITE_SCOPE(site), signal)).enabled;
    } catch (err) {
      if (!refusedByMist(err)) throw err;
      this.options.log.warn("Mist refused the list of a site's SLE metrics; its classifiers are left out for an hour", { site, error: (err as Error).message });
      metrics = [];
    }
    for (const pair of this.refused) if (pair.startsWith(`${site}\u0000`)) this.refused.delete(pair);
    this.siteMetrics.set(site, { metrics, listedAt: now });
    return metrics;
  }

  /** Hands one batch on; its buckets are done once each of its signals has settled. */
  private hand(orgId: string, track: SleTrack, buckets: readonly number[], events: readonly Record<string, unknown>[]): void {
    const flying = this.flying(track);
    for (const b of buckets) flying.add(b);
    const done = (): void => {
      for (const b of buckets) {
        flying.delete(b);
        this.options.state.done(orgId, track, b);
      }
    };
    if (events.length === 0) {
      done();
      return;
    }
    let settled = 0;
    const batch: Batch = {
      source: 'sle',
      kind: track,
      events,
      receivedNs: BigInt(this.options.clock.now()) * 1_000_000n,
      context: { org_id: orgId },
      ack: new BatchAck({ settled: () => void (++settled === 3 && done()) }),
    };
    const retry = (why: string): void => {
      for (const b of buckets) flying.delete(b);
      this.options.log.error('SLE batch not processed; its buckets are fetched again at the next poll', { track, error: why });
    };
    let receipt: Promise<Receipt>;
    try {
      receipt = this.options.next.consume(batch);
    } catch (err) {
      receipt = Promise.reject(err as Error);
    }
    receipt.then(
      (r) => r.status === 'refused' && retry(r.reason),
      (err: unknown) => retry((err as Error).message),
    );
  }

  private flying(track: SleTrack): Set<number> {
    let set = this.inFlight.get(track);
    if (!set) this.inFlight.set(track, (set = new Set()));
    return set;
  }

  private knownSites(): string[] {
    return [...new Set([...this.sites.values()].flat())];
  }
}

/** Mist answered that this request will not work (not a 429, not a server error): asking again would not help. */
function refusedByMist(err: unknown): boolean {
  return err instanceof MistApiError && err.status >= 400 && err.status < 500 && err.status !== 429;
}

/**
 * One event per classifier and sample whose bucket is wanted: the sample's time is the answer's
 * `start` plus its index times the interval (10 minutes for recent ranges; Mist may answer a long
 * range with longer ones).
 */
function classifierEvents(site: string, metric: string, trend: SleSummaryTrend, wanted: ReadonlySet<number>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const c of trend.classifiers) {
    const interval = c.interval ?? trend.sle?.interval ?? SLE_BUCKET_SECONDS;
    if (!(interval > 0)) continue;
    (c.samples.degraded ?? []).forEach((degraded, i) => {
      const start = trend.start + i * interval;
      if (degraded === null || !wanted.has(Math.floor(start / SLE_BUCKET_SECONDS) * SLE_BUCKET_SECONDS)) return;
      out.push({ site_id: site, metric, classifier: c.name, start, end: start + interval, degraded, total: c.samples.total?.[i] ?? null });
    });
  }
  return out;
}
