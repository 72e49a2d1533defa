/**
 * The WebSocket stream source's connection side: the channels of every site, spread over as few
 * connections as the per-connection cap allows, each decoded data message handed to onMessage.
 */
import type { Logger } from '../../log/logger.js';
import { siteChannel } from './channels.js';
import type { StreamSettings } from './config.js';
import { StreamConnection } from './connection.js';
import { StreamCounters } from './counters.js';
import type { StreamMessage } from './decode.js';
import type { Secret } from './secret.js';
import { type ListSites, SiteDiscovery } from './sites.js';

export interface StreamClientOptions {
  settings: StreamSettings;
  listSites: ListSites;
  /** Called once per decoded data message; what it throws is logged, never fatal. */
  onMessage: (message: StreamMessage) => void;
  log: Logger;
}

/** A connection left without channels gets this long to unsubscribe and close. */
const EMPTY_CLOSE_MS = 5_000;

export class StreamClient {
  readonly counters = new StreamCounters();
  private readonly settings: StreamSettings;
  private readonly token: Secret;
  private readonly onMessage: (message: StreamMessage) => void;
  private readonly log: Logger;
  private readonly discovery: SiteDiscovery;
  private readonly connections: StreamConnection[] = [];
  private readonly placed = new Map<string, StreamConnection>();
  /** Emptied connections still closing. */
  private readonly closing = new Set<StreamConnection>();
  private nextId = 1;
  private stopped = false;

  constructor(options: StreamClientOptions) {
    const { settings } = options;
    if (settings.token === null) throw new Error('the stream needs an API token (MIST_API_TOKEN)');
    this.settings = settings;
    this.token = settings.token;
    this.onMessage = options.onMessage;
    this.log = options.log;
    this.discovery = new SiteDiscovery({
      siteIds: settings.siteIds,
      listSites: options.listSites,
      refreshMs: settings.sitesRefreshMs,
      retryMs: settings.sitesRetryMs,
      log: options.log,
      onSites: (sites) => this.setSites(sites),
    });
  }

  start(): void {
    this.discovery.start();
  }

  /** Unsubscribes and closes every connection by `deadline` (epoch ms). */
  async stop(deadline: number): Promise<void> {
    this.stopped = true;
    this.discovery.stop();
    await Promise.all([...this.connections, ...this.closing].map((c) => c.stop(deadline)));
  }

  private setSites(siteIds: string[]): void {
    if (this.stopped) return;
    const wanted = new Set(siteIds.flatMap((site) => this.settings.channels.map((kind) => siteChannel(site, kind))));
    for (const [channel, connection] of this.placed) {
      if (wanted.has(channel)) continue;
      connection.remove(channel);
      this.placed.delete(channel);
    }
    for (const channel of wanted) if (!this.placed.has(channel)) this.place(channel);
    for (const connection of this.connections.filter((c) => c.size === 0)) this.close(connection);
  }

  private place(channel: string): void {
    let connection = this.connections.find((c) => c.size < this.settings.maxChannelsPerConnection);
    if (connection === undefined) {
      connection = new StreamConnection({
        id: this.nextId++,
        settings: this.settings,
        token: this.token,
        log: this.log,
        counters: this.counters,
        deliver: this.onMessage,
      });
      this.connections.push(connection);
      connection.start();
    }
    connection.add(channel);
    this.placed.set(channel, connection);
  }

  private close(connection: StreamConnection): void {
    this.connections.splice(this.connections.indexOf(connection), 1);
    this.closing.add(connection);
    void connection.stop(Date.now() + EMPTY_CLOSE_MS).then(() => {
      this.counters.removeConnection(connection.stats.id);
      this.closing.delete(connection);
    });
  }
}
