import { describe, expect, it } from 'vitest';
import { BudgetError, CallBudget } from './budget.js';
import type { Clock } from './clock.js';

function fakeClock(start: number): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('CallBudget', () => {
  it('refuses plans that need more than the share, spelling out the arithmetic', () => {
    const budget = new CallBudget({ share: 0.5 });
    expect(() =>
      budget.validate([
        { name: 'SLE poller', callsPerHour: 3 * 6 + 120 * 8 * 6, how: '3 families × 1 page × 6 polls per hour + 120 sites × 8 metrics × 6 polls per hour' },
        { name: 'stream site discovery', callsPerHour: 12, how: '1 page × 12 refreshes per hour' },
      ]),
    ).toThrow(
      new BudgetError(
        [
          "the planned Mist API use needs 5,790 calls per hour, more than the 2,500 this process may make (50% of Mist's 5,000 calls per hour per API token):",
          '  SLE poller: 5,778 (3 families × 1 page × 6 polls per hour + 120 sites × 8 metrics × 6 polls per hour)',
          '  stream site discovery: 12 (1 page × 12 refreshes per hour)',
          '  total: 5,778 + 12 = 5,790 > 2,500',
          'Poll less often or fetch less, or raise MIST_API_BUDGET_SHARE if nothing else uses this token.',
        ].join('\n'),
      ),
    );
  });

  it('accepts plans within the share', () => {
    const budget = new CallBudget({ share: 0.8 });
    expect(budget.allowance).toBe(4000);
    expect(() =>
      budget.validate([
        { name: 'a', callsPerHour: 3990 },
        { name: 'b', callsPerHour: 10 },
      ]),
    ).not.toThrow();
    expect(() => budget.validate([{ name: 'a', callsPerHour: Number.NaN }])).toThrow('a: planned calls per hour must be a number of at least 0, got NaN');
    expect(() => new CallBudget({ share: 1.5 })).toThrow('the API budget share must be more than 0 and at most 1, got 1.5');
  });

  it('makes a call wait for the next hour once the share of this hour is used, for every user of the process', async () => {
    const hour = Date.UTC(2025, 0, 1, 10);
    const clock = fakeClock(hour + 3_599_000);
    const waits: number[] = [];
    const budget = new CallBudget({ callsPerHour: 4, share: 0.5, clock, onWait: (until) => waits.push(until) });
    await budget.acquire();
    await budget.acquire();
    expect(budget.used()).toBe(2);
    await budget.acquire();
    expect(clock.slept).toEqual([1_000]);
    expect(waits).toEqual([hour + 3_600_000]);
    expect(budget.used()).toBe(1);
  });
});
