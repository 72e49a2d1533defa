/**
 * The channels one connection carries and where each stands with the server. Mist answers each
 * `{"subscribe": channel}` with `channel_subscribed`; any other answer naming the channel, or none
 * within the timeout, is a failed subscription, tried again later with its own backoff.
 */
import { Backoff } from './backoff.js';
import type { ChannelStats } from './counters.js';

export interface SubscriptionTimings {
  subscribeTimeoutMs: number;
  subscribeRetryMs: number;
  subscribeRetryMaxMs: number;
}

interface Entry {
  readonly stats: ChannelStats;
  readonly retry: Backoff;
  /** pending: when the answer is overdue; failed: when to try again. */
  dueAt: number;
}

export class Subscriptions {
  private readonly entries = new Map<string, Entry>();
  private subscribed = 0;

  constructor(private readonly timings: SubscriptionTimings) {}

  get size(): number {
    return this.entries.size;
  }

  get allSubscribed(): boolean {
    return this.subscribed === this.entries.size;
  }

  stats(channel: string): ChannelStats | undefined {
    return this.entries.get(channel)?.stats;
  }

  *all(): IterableIterator<ChannelStats> {
    for (const entry of this.entries.values()) yield entry.stats;
  }

  add(stats: ChannelStats): void {
    const { subscribeRetryMs, subscribeRetryMaxMs } = this.timings;
    this.entries.set(stats.channel, { stats, retry: new Backoff(subscribeRetryMs, subscribeRetryMaxMs), dueAt: 0 });
  }

  /** Forgets the channel; true when the server may hold it, so an unsubscribe is owed. */
  remove(channel: string): boolean {
    const entry = this.entries.get(channel);
    if (entry === undefined) return false;
    this.entries.delete(channel);
    if (entry.stats.state === 'subscribed') this.subscribed -= 1;
    return entry.stats.state === 'pending' || entry.stats.state === 'subscribed';
  }

  /** The channel is being subscribed now (on a fresh connection, on add, or on retry). */
  sending(channel: string, now: number): void {
    const entry = this.entries.get(channel);
    if (entry === undefined) return;
    this.setState(entry, 'pending');
    entry.dueAt = now + this.timings.subscribeTimeoutMs;
  }

  /** True when this acknowledgement completed a pending subscription. */
  acked(channel: string): boolean {
    const entry = this.entries.get(channel);
    if (entry === undefined || entry.stats.state !== 'pending') return false;
    this.setState(entry, 'subscribed');
    entry.retry.reset();
    return true;
  }

  /** A refusal, or a subscription lost; returns the wait before the retry, null if not ours. */
  failed(channel: string, now: number): number | null {
    const entry = this.entries.get(channel);
    if (entry === undefined || (entry.stats.state !== 'pending' && entry.stats.state !== 'subscribed')) return null;
    return this.fail(entry, now);
  }

  /**
   * Pending subscriptions past their timeout become failed (returned in timedOut); failed ones
   * whose retry is due are returned in retry, for the caller to send and mark sending().
   */
  due(now: number): { timedOut: string[]; retry: string[] } {
    const timedOut: string[] = [];
    const retry: string[] = [];
    for (const entry of this.entries.values()) {
      if (entry.dueAt > now) continue;
      if (entry.stats.state === 'pending') {
        this.fail(entry, now);
        timedOut.push(entry.stats.channel);
      } else if (entry.stats.state === 'failed') {
        retry.push(entry.stats.channel);
      }
    }
    return { timedOut, retry };
  }

  /** The earliest time due() has something to do, null if nothing is pending or failed. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const entry of this.entries.values()) {
      if (entry.stats.state !== 'pending' && entry.stats.state !== 'failed') continue;
      if (next === null || entry.dueAt < next) next = entry.dueAt;
    }
    return next;
  }

  /** The connection is gone: nothing is subscribed until the next one subscribes everything. */
  disconnected(): void {
    for (const entry of this.entries.values()) this.setState(entry, 'waiting');
  }

  private fail(entry: Entry, now: number): number {
    this.setState(entry, 'failed');
    entry.stats.subscriptionFailures += 1;
    const wait = entry.retry.next();
    entry.dueAt = now + wait;
    return wait;
  }

  private setState(entry: Entry, state: ChannelStats['state']): void {
    if (entry.stats.state === 'subscribed') this.subscribed -= 1;
    if (state === 'subscribed') this.subscribed += 1;
    entry.stats.state = state;
  }
}
