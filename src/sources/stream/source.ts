import type { Inspector } from '../../inspect/feed.js';
import type { Logger } from '../../log/logger.js';
import type { MistClient } from '../../mist-api/client.js';
import { resolveOrg } from '../../mist-api/org.js';
import type { Batch, BatchConsumer, Source } from '../contract.js';
import { StreamClient } from './client.js';
import type { StreamSettings } from './config.js';
import type { StreamMessage } from './decode.js';

export interface StreamSourceOptions {
  settings: StreamSettings;
  /** The shared Mist REST client: the org's sites (and the org itself, when not configured). */
  api: MistClient;
  /** Processing: stream messages are not journaled (nobody waits for an acknowledgement, and the
   * next message carries the current state). */
  next: BatchConsumer;
  inspector?: Inspector;
  log: Logger;
}

/**
 * Mist's WebSocket stream: the statistics channels of every site, each data message a batch of
 * one document of kind `stats/devices` or `stats/clients` (the channel's kind), with the site (AP
 * messages carry none) and org as context for the mapping.
 */
export class StreamSource implements Source {
  readonly name = 'stream';
  readonly client: StreamClient;
  private orgId: string | null;
  /** Where messages come from, as the inspector page shows it: the stream's host. */
  private readonly server: string;

  constructor(private readonly options: StreamSourceOptions) {
    this.orgId = options.settings.orgId;
    this.server = URL.canParse(options.settings.wsUrl) ? new URL(options.settings.wsUrl).host : options.settings.wsUrl;
    this.client = new StreamClient({
      settings: options.settings,
      listSites: () => this.listSites(),
      onMessage: (message) => this.deliver(message),
      log: options.log,
    });
  }

  async start(): Promise<void> {
    this.client.start();
  }

  stop(deadline: number): Promise<void> {
    return this.client.stop(deadline);
  }

  /** Streaming as configured: every connection open with its channels subscribed. */
  ready(): boolean {
    return this.client.counters.connected();
  }

  private async listSites(): Promise<string[]> {
    this.orgId ??= (await resolveOrg(this.options.api, undefined, undefined)).orgId;
    return (await this.options.api.sites(this.orgId)).map((s) => s.id);
  }

  private deliver(message: StreamMessage): void {
    const context: Record<string, string> = {};
    if (message.siteId !== null) context.site_id = message.siteId;
    if (this.orgId !== null) context.org_id = this.orgId;
    const inspection = this.options.inspector?.begin({
      source: 'stream',
      topic: message.channel,
      sender: this.server,
      events: 1,
      body: JSON.stringify(message.document),
      receivedAt: message.receivedAt,
    });
    const batch: Batch = {
      source: 'stream',
      kind: message.kind,
      events: [message.document],
      receivedNs: BigInt(message.receivedAt) * 1_000_000n,
      context,
      ...(inspection && { observer: inspection }),
    };
    this.options.next.consume(batch).then(
      () => inspection?.finish(),
      (err: unknown) => {
        inspection?.finish({ refused: `not processed: ${(err as Error).message}` });
        this.options.log.error('stream message could not be processed', { channel: message.channel, error: (err as Error).message });
      },
    );
  }
}
