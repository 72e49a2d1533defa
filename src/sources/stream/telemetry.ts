import type { Meter } from '@opentelemetry/api';
import type { ChannelStats, StreamCounters } from './counters.js';

/**
 * The stream's own figures on /metrics (and over OTLP with the bridge's other self-telemetry),
 * read from its live counters at each collection: per channel (site and kind) and per connection.
 */
export function observeStreamCounters(meter: Meter, counters: StreamCounters, now: () => number = Date.now): void {
  const perChannel = (name: string, description: string, unit: string, value: (c: ChannelStats) => number) =>
    meter.createObservableCounter(name, { description, unit }).addCallback((r) => {
      for (const c of counters.channels.values()) r.observe(value(c), { 'mist.site_id': c.siteId ?? '', 'mist.stream.kind': c.kind });
    });
  perChannel('mist.bridge.stream.messages', 'Data messages received on a stream channel, by site and kind', '{message}', (c) => c.messages);
  perChannel('mist.bridge.stream.parse_failures', 'Stream data messages that could not be decoded, by site and kind', '{message}', (c) => c.parseFailures);
  perChannel(
    'mist.bridge.stream.subscription_failures',
    'Stream subscriptions refused or left unanswered, by site and kind',
    '{subscription}',
    (c) => c.subscriptionFailures,
  );
  perChannel(
    'mist.bridge.stream.reconnects',
    'Times a channel was subscribed again on a new connection after one was lost',
    '{reconnect}',
    (c) => c.reconnects,
  );
  meter
    .createObservableGauge('mist.bridge.stream.last_message.age', {
      description: 'Seconds since the last data message of a stream channel (absent before the first)',
      unit: 's',
    })
    .addCallback((r) => {
      const t = now();
      for (const c of counters.channels.values()) {
        if (c.lastMessageAt !== null) r.observe((t - c.lastMessageAt) / 1000, { 'mist.site_id': c.siteId ?? '', 'mist.stream.kind': c.kind });
      }
    });
  const byState = <T extends { state: string }>(name: string, description: string, unit: string, states: readonly T['state'][], items: () => Iterable<T>) =>
    meter.createObservableGauge(name, { description, unit }).addCallback((r) => {
      // Every state observed, at 0 too, so a state's series does not vanish while nothing is in it.
      const counts = new Map(states.map((s) => [s, 0]));
      for (const item of items()) counts.set(item.state, (counts.get(item.state) ?? 0) + 1);
      for (const [state, n] of counts) r.observe(n, { state });
    });
  byState(
    'mist.bridge.stream.subscriptions',
    'Stream channels by subscription state (waiting, pending, subscribed, failed)',
    '{channel}',
    ['waiting', 'pending', 'subscribed', 'failed'],
    () => counters.channels.values(),
  );
  byState(
    'mist.bridge.stream.connections',
    'Stream connections by state (connecting, open, waiting, stopped)',
    '{connection}',
    ['connecting', 'open', 'waiting', 'stopped'],
    () => counters.connections.values(),
  );
}
