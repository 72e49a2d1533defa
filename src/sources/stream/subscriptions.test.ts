import { describe, expect, it } from 'vitest';
import { StreamCounters } from './counters.js';
import { Subscriptions } from './subscriptions.js';

const A = '/sites/a/stats/devices';
const B = '/sites/b/stats/devices';

function setup() {
  const counters = new StreamCounters();
  const subs = new Subscriptions({ subscribeTimeoutMs: 1_000, subscribeRetryMs: 10_000, subscribeRetryMaxMs: 40_000 });
  subs.add(counters.addChannel(A, 1));
  subs.add(counters.addChannel(B, 1));
  return { counters, subs };
}

describe('Subscriptions', () => {
  it('counts a channel subscribed only once acknowledged', () => {
    const { subs, counters } = setup();
    expect(subs.allSubscribed).toBe(false);
    subs.sending(A, 0);
    subs.sending(B, 0);
    expect(subs.acked(A)).toBe(true);
    expect(subs.acked(A)).toBe(false);
    expect(subs.allSubscribed).toBe(false);
    expect(subs.acked(B)).toBe(true);
    expect(subs.allSubscribed).toBe(true);
    expect(counters.channels.get(A)?.state).toBe('subscribed');
  });

  it('fails a refused subscription and retries it with its own backoff', () => {
    const { subs, counters } = setup();
    subs.sending(A, 0);
    const wait = subs.failed(A, 0)!;
    expect(wait).toBeGreaterThanOrEqual(5_000);
    expect(wait).toBeLessThanOrEqual(10_000);
    expect(counters.channels.get(A)).toMatchObject({ state: 'failed', subscriptionFailures: 1 });
    expect(subs.due(wait - 1)).toEqual({ timedOut: [], retry: [] });
    expect(subs.due(wait)).toEqual({ timedOut: [], retry: [A] });
    subs.sending(A, wait);
    expect(subs.failed(A, wait)).toBeGreaterThanOrEqual(10_000);
    expect(counters.channels.get(A)?.subscriptionFailures).toBe(2);
  });

  it('fails a subscription left unanswered past the timeout', () => {
    const { subs, counters } = setup();
    subs.sending(A, 0);
    subs.sending(B, 500);
    expect(subs.nextDueAt()).toBe(1_000);
    expect(subs.due(1_000)).toEqual({ timedOut: [A], retry: [] });
    expect(counters.channels.get(A)).toMatchObject({ state: 'failed', subscriptionFailures: 1 });
    expect(subs.nextDueAt()).toBe(1_500);
  });

  it('ignores a refusal for a channel it is not waiting on', () => {
    const { subs } = setup();
    expect(subs.failed(A, 0)).toBeNull();
    expect(subs.failed('/sites/z/stats/devices', 0)).toBeNull();
  });

  it('owes an unsubscribe only for channels the server may hold', () => {
    const { subs } = setup();
    subs.sending(A, 0);
    subs.acked(A);
    expect(subs.remove(A)).toBe(true);
    expect(subs.remove(B)).toBe(false);
    expect(subs.size).toBe(0);
    expect(subs.allSubscribed).toBe(true);
  });

  it('forgets every acknowledgement when the connection goes', () => {
    const { subs, counters } = setup();
    subs.sending(A, 0);
    subs.acked(A);
    subs.disconnected();
    expect(counters.channels.get(A)?.state).toBe('waiting');
    expect(subs.allSubscribed).toBe(false);
    expect(subs.nextDueAt()).toBeNull();
  });
});
