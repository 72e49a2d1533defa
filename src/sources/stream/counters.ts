/**
 * The stream's self-telemetry, kept as live objects the connections update in place and /metrics
 * reads on each scrape: per channel (hence per site and kind) and per connection.
 */
import { channelParts } from './channels.js';

/** waiting: no open connection to subscribe on; pending: sent, no answer yet. */
export type SubscriptionState = 'waiting' | 'pending' | 'subscribed' | 'failed';

/** waiting: backing off before the next attempt. */
export type ConnectionState = 'connecting' | 'open' | 'waiting' | 'stopped';

export interface ChannelStats {
  readonly channel: string;
  readonly siteId: string | null;
  readonly kind: string;
  readonly connection: number;
  state: SubscriptionState;
  /** Data messages received, whether they decode or not. */
  messages: number;
  parseFailures: number;
  /** Refusals and subscriptions left unanswered. */
  subscriptionFailures: number;
  /** New connections this channel was subscribed on again after a loss. */
  reconnects: number;
  /** Epoch ms of the last data message, null before the first. */
  lastMessageAt: number | null;
}

export interface ConnectionStats {
  readonly id: number;
  state: ConnectionState;
  /** Connection attempts after the first. */
  reconnects: number;
  /** Frames that are not JSON, or name no channel this connection carries. */
  strayFrames: number;
  /** The HTTP status of the last refused upgrade (401, 403, 429…); null once a connection opens. */
  lastRefusal: number | null;
}

export class StreamCounters {
  readonly channels = new Map<string, ChannelStats>();
  readonly connections = new Map<number, ConnectionStats>();

  addChannel(channel: string, connection: number): ChannelStats {
    const { siteId, kind } = channelParts(channel);
    const stats: ChannelStats = {
      channel,
      siteId,
      kind,
      connection,
      state: 'waiting',
      messages: 0,
      parseFailures: 0,
      subscriptionFailures: 0,
      reconnects: 0,
      lastMessageAt: null,
    };
    this.channels.set(channel, stats);
    return stats;
  }

  removeChannel(channel: string): void {
    this.channels.delete(channel);
  }

  addConnection(id: number): ConnectionStats {
    const stats: ConnectionStats = { id, state: 'connecting', reconnects: 0, strayFrames: 0, lastRefusal: null };
    this.connections.set(id, stats);
    return stats;
  }

  removeConnection(id: number): void {
    this.connections.delete(id);
  }

  /** Every connection open and every channel subscribed (false before the first site listing). */
  connected(): boolean {
    if (this.channels.size === 0) return false;
    for (const c of this.connections.values()) if (c.state !== 'open') return false;
    for (const c of this.channels.values()) if (c.state !== 'subscribed') return false;
    return true;
  }
}
