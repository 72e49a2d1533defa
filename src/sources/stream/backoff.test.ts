import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from the initial wait up to the cap, the upper half random', () => {
    const low = new Backoff(100, 1_000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff(100, 1_000, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6].map(() => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(high.failures).toBe(6);
  });

  it('starts over after a reset', () => {
    const b = new Backoff(100, 1_000, () => 0);
    b.next();
    b.next();
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.next()).toBe(50);
  });

  it('stays at the cap however many failures', () => {
    const b = new Backoff(1_000, 60_000, () => 0.5);
    for (let i = 0; i < 100; i += 1) b.next();
    expect(b.next()).toBe(45_000);
  });
});
