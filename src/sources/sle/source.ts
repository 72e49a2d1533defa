import { beforeDeadline } from '../../export/metrics-export.js';
import type { Logger } from '../../log/logger.js';
import { BudgetError, type CallBudget, type PlannedUse } from '../../mist-api/budget.js';
import type { MistClient } from '../../mist-api/client.js';
import { type Clock, systemClock } from '../../mist-api/clock.js';
import { resolveOrg } from '../../mist-api/org.js';
import { SLE_FAMILIES } from '../../mist-api/types.js';
import type { BatchConsumer, Source } from '../contract.js';
import { nextPollAt, SLE_BUCKET_SECONDS } from './buckets.js';
import { type SlePlanOptions, slePlans } from './plan.js';
import { type PollResult, SlePoller } from './poller.js';
import type { SleSettings } from './settings.js';
import type { SleState, SleTrack } from './state.js';

export type PollOutcome = 'ok' | 'failed' | 'skipped';

/** What the poller's self-telemetry reads. */
export interface SleFigures {
  polls: Readonly<Record<PollOutcome, number>>;
  /** Per track, seconds from the end of the last bucket through which all were exported to now (none before the org is known). */
  behind: { track: SleTrack; seconds: number }[];
}

export interface SleSourceOptions {
  settings: SleSettings;
  /** The process's one Mist client. */
  api: MistClient;
  /** The process's one call budget, and what the other users of the token plan (the stream's site discovery). */
  budget: Pick<CallBudget, 'validate'>;
  otherPlans: readonly PlannedUse[];
  state: SleState;
  /** Processing: batches of kind wifi, wired, wan and classifiers. */
  next: BatchConsumer;
  /** False while the metric export is failing: polls then leave new buckets at Mist. */
  accepting: () => boolean;
  clock?: Clock;
  log: Logger;
}

/**
 * The SLE poller as a source of the running bridge: every `sle.intervalMs` (on a grid that
 * lands just after each bucket settles), the buckets Mist has finished since the last one done,
 * handed to processing with an acknowledgement (src/sources/sle/poller.ts). Its calls are planned
 * against the process's budget at start-up, at the least the org can need, and again once a poll
 * has told how many sites the org has; classifiers, optional, are suspended while they do not fit.
 */
export class SleSource implements Source {
  readonly name = 'sle';
  private readonly poller: SlePoller;
  private readonly clock: Clock;
  private readonly planOptions: SlePlanOptions;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private org: Promise<string> | undefined;
  private orgId: string | undefined;
  private readonly polls: Record<PollOutcome, number> = { ok: 0, failed: 0, skipped: 0 };
  private lastPollOk = false;
  private classifiersFit = true;
  private checkedScale: string | undefined;

  constructor(private readonly options: SleSourceOptions) {
    const { settings, api, state, next, accepting, log } = options;
    this.clock = options.clock ?? systemClock;
    this.planOptions = { families: SLE_FAMILIES.length, intervalMs: settings.intervalMs, pageSize: api.pageSize, classifiers: settings.classifiers };
    this.poller = new SlePoller({
      api,
      org: () => this.resolveOrg(),
      state,
      next,
      clock: this.clock,
      classifiers: () => settings.classifiers && this.checkBudget(),
      backfillSeconds: settings.backfillSeconds,
      accepting,
      log,
    });
  }

  /** The calls planned before anything is known of the org: checked at start-up with the other users'. */
  plans(): PlannedUse[] {
    return slePlans(this.planOptions);
  }

  async start(): Promise<void> {
    const { settings, state, log } = this.options;
    log.info('SLE poller started', {
      intervalMs: settings.intervalMs,
      classifiers: settings.classifiers,
      backfillHours: settings.backfillSeconds / 3600,
      state: state.file ?? 'memory',
    });
    if (state.file === undefined) {
      log.warn(
        'durability.dir is not set: the SLE poller keeps its place in memory only; after a restart it fetches the newest bucket (again, if it was exported before) and none it missed while down',
      );
    }
    this.loop = this.run(this.stopping.signal);
  }

  /** Stops polling (a call under way is abandoned); batches already handed on are exported by the bridge's flush, and their buckets marked done then. */
  async stop(deadline: number): Promise<void> {
    this.stopping.abort();
    if (this.loop) await beforeDeadline(this.loop, deadline, undefined);
  }

  /** The last poll fetched everything it was due to. */
  ready(): boolean {
    return this.lastPollOk;
  }

  figures(): SleFigures {
    const { settings, state } = this.options;
    const orgId = this.orgId;
    if (orgId === undefined) return { polls: this.polls, behind: [] };
    const tracks: SleTrack[] = settings.classifiers ? [...SLE_FAMILIES, 'classifiers'] : [...SLE_FAMILIES];
    const now = this.clock.now() / 1000;
    const behind = tracks.flatMap((track) => {
      const mark = state.mark(orgId, track);
      return mark ? [{ track, seconds: now - (mark.through + SLE_BUCKET_SECONDS) }] : [];
    });
    return { polls: this.polls, behind };
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        this.report(await this.poller.poll(signal));
      } catch (err) {
        this.lastPollOk = false;
        this.polls.failed++;
        this.options.log.error('SLE poll failed', { error: (err as Error).message });
      }
      const now = this.clock.now();
      await this.clock.sleep(nextPollAt(now, this.options.settings.intervalMs) - now, signal).catch(() => undefined);
    }
  }

  private report(result: PollResult): void {
    const { log } = this.options;
    this.lastPollOk = result.skipped === undefined && result.error === undefined && result.tracks.every((t) => t.error === undefined);
    this.polls[result.skipped !== undefined ? 'skipped' : this.lastPollOk ? 'ok' : 'failed']++;
    if (result.error !== undefined) {
      log.error('SLE poll failed', { error: result.error });
      return;
    }
    if (result.skipped !== undefined) {
      log.info('SLE poll skipped', { reason: result.skipped });
      return;
    }
    log.debug('SLE poll', {
      tracks: result.tracks.map((t) => ({ track: t.track, buckets: t.buckets.length, ...(t.error !== undefined && { error: t.error }) })),
    });
    const fetched = result.tracks.filter((t) => t.buckets.length > 0);
    if (fetched.length > 0) log.info('SLE buckets fetched', Object.fromEntries(fetched.map((t) => [t.track, { buckets: t.buckets.length, events: t.events }])));
    this.checkBudget();
  }

  private resolveOrg(): Promise<string> {
    this.org ??= resolveOrg(this.options.api, undefined, this.options.settings.orgId ?? undefined).then(
      (r) => {
        this.options.log.info('SLE poller org', { orgId: r.orgId, from: r.source });
        this.orgId = r.orgId;
        return r.orgId;
      },
      (err: unknown) => {
        this.org = undefined;
        throw err;
      },
    );
    return this.org;
  }

  /**
   * The plans at the org's size as polls have told it, with the other users', each time that
   * size changes. Classifiers that do not fit are suspended (the SLEs themselves cost little and
   * are kept); returns whether classifiers may be fetched.
   */
  private checkBudget(): boolean {
    const scale = this.poller.scale();
    const key = JSON.stringify(scale);
    if (key === this.checkedScale) return this.classifiersFit;
    this.checkedScale = key;
    const { budget, otherPlans, settings, log } = this.options;
    const fits = (classifiers: boolean): BudgetError | undefined => {
      try {
        budget.validate([...otherPlans, ...slePlans({ ...this.planOptions, classifiers }, scale)]);
        return undefined;
      } catch (err) {
        if (err instanceof BudgetError) return err;
        throw err;
      }
    };
    const all = fits(settings.classifiers);
    if (all === undefined) {
      if (!this.classifiersFit) log.info('SLE classifiers resumed: they fit the call budget again', { scale });
      this.classifiersFit = true;
    } else if (settings.classifiers && fits(false) === undefined) {
      if (this.classifiersFit)
        log.error("SLE classifiers suspended: at this org's size they need more calls than the budget allows", { scale, budget: all.message });
      this.classifiersFit = false;
    } else {
      this.classifiersFit = !settings.classifiers;
      log.error(
        "the SLE poller needs more calls than the budget allows at this org's size; calls beyond it wait for the next hour, and buckets are fetched late",
        { scale, budget: all.message },
      );
    }
    return this.classifiersFit;
  }
}
