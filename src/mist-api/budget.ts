import { type Clock, HOUR_MS, nextHourStart, systemClock } from './clock.js';

/** Mist's limit: calls per hour per API token, counted from the top of each hour. */
export const MIST_CALLS_PER_HOUR = 5000;

/**
 * The part of the limit this process may use by default. The token is usually shared with the
 * people and scripts that administer the org, so the bridge leaves them the other half.
 */
export const DEFAULT_BUDGET_SHARE = 0.5;

/** One user of the client and the calls it plans to make per hour. */
export interface PlannedUse {
  name: string;
  callsPerHour: number;
  /** How the figure is made up, e.g. "3 families × 2 pages × 6 polls per hour". */
  how?: string;
}

export class BudgetError extends Error {
  override name = 'BudgetError';
}

export interface BudgetOptions {
  callsPerHour?: number;
  /** Fraction (0–1] of `callsPerHour` this process may use. */
  share?: number;
  clock?: Clock;
  /** Told when a call has to wait for the next hour because the share is used up. */
  onWait?: (untilMs: number) => void;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * The calls this process may make in the current clock hour, shared by every user of the client
 * (the SLE poller, the stream's site discovery, the CLI). Users state their plans up front
 * (`validate`), and every call takes one from the hour's allowance (`acquire`), waiting for the
 * next hour when it is used up, so a miscount never turns into Mist's 429 for everyone on the token.
 */
export class CallBudget {
  readonly callsPerHour: number;
  readonly share: number;
  readonly allowance: number;
  private readonly clock: Clock;
  private readonly onWait: ((untilMs: number) => void) | undefined;
  private window = -1;
  private count = 0;

  constructor(options: BudgetOptions = {}) {
    this.callsPerHour = options.callsPerHour ?? MIST_CALLS_PER_HOUR;
    this.share = options.share ?? DEFAULT_BUDGET_SHARE;
    if (!(this.share > 0 && this.share <= 1)) throw new BudgetError(`the API budget share must be more than 0 and at most 1, got ${this.share}`);
    if (!(Number.isInteger(this.callsPerHour) && this.callsPerHour > 0))
      throw new BudgetError(`calls per hour must be a positive integer, got ${this.callsPerHour}`);
    this.allowance = Math.floor(this.callsPerHour * this.share);
    this.clock = options.clock ?? systemClock;
    this.onWait = options.onWait;
  }

  /** Throws a BudgetError with the arithmetic when the plans together need more than the allowance. */
  validate(plans: readonly PlannedUse[]): void {
    validatePlans(plans, this);
  }

  /** Calls made so far in the current hour. */
  used(): number {
    this.roll();
    return this.count;
  }

  /** Takes one call from this hour's allowance, waiting for the next hour when none is left. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.roll();
      if (this.count < this.allowance) {
        this.count++;
        return;
      }
      const until = nextHourStart(this.clock.now());
      this.onWait?.(until);
      await this.clock.sleep(until - this.clock.now(), signal);
    }
  }

  private roll(): void {
    const window = Math.floor(this.clock.now() / HOUR_MS);
    if (window !== this.window) {
      this.window = window;
      this.count = 0;
    }
  }
}

/**
 * The refusal of a plan that cannot fit, with the arithmetic spelled out so the user sees which
 * setting to change.
 */
export function validatePlans(plans: readonly PlannedUse[], limit: { callsPerHour: number; share: number; allowance: number }): void {
  for (const p of plans) {
    if (!Number.isFinite(p.callsPerHour) || p.callsPerHour < 0)
      throw new BudgetError(`${p.name}: planned calls per hour must be a number of at least 0, got ${p.callsPerHour}`);
  }
  const total = plans.reduce((sum, p) => sum + p.callsPerHour, 0);
  if (total <= limit.allowance) return;
  const lines = plans.map((p) => `  ${p.name}: ${fmt(p.callsPerHour)}${p.how ? ` (${p.how})` : ''}`);
  throw new BudgetError(
    [
      `the planned Mist API use needs ${fmt(total)} calls per hour, more than the ${fmt(limit.allowance)} this process may make ` +
        `(${Math.round(limit.share * 1000) / 10}% of Mist's ${fmt(limit.callsPerHour)} calls per hour per API token):`,
      ...lines,
      `  total: ${plans.map((p) => fmt(p.callsPerHour)).join(' + ')} = ${fmt(total)} > ${fmt(limit.allowance)}`,
      'Poll less often or fetch less, or raise MIST_API_BUDGET_SHARE if nothing else uses this token.',
    ].join('\n'),
  );
}
