import type { Hono } from 'hono';
import { createInspectApp, INSPECT_PATH } from './app.js';
import { type InspectConfig, resolveToken, startLine } from './config.js';
import { InspectFeed, type Inspection, type Inspector } from './feed.js';

export type { InspectConfig } from './config.js';
export type { Arrival, InspectEntry, Inspection, Inspector, InspectSource, Outcome, SignatureCheck } from './feed.js';
export type { Became } from './views.js';

/** The inspector, built whole: what the bridge hands its sources and mounts on its port. */
export interface InspectPage {
  /** Handed to sources and processing; they call it with `?.` (absent when the page is off). */
  inspector: Inspector;
  /** Mount with `app.route('/', page.app)`: it answers under /inspect only. */
  app: Hono;
  /** The line to print once the bridge listens; `baseUrl` is where it is reached (http://host:port). */
  startLine(baseUrl: string): string;
  /**
   * For the durable stage: a batch handed on from the journal instead of live (`afterRestart`:
   * kept through a restart; otherwise kept while the export backlog was full), with its bytes as
   * journaled. Shown at its original time of arrival.
   */
  fromJournal(batch: JournaledBatch, body: Uint8Array, afterRestart: boolean): Inspection;
  /** Ends the pages' event streams, so that the HTTP server can close; call before closing it. */
  close(): void;
}

/** What the inspector needs of a journaled batch (a `Batch` fits). */
export interface JournaledBatch {
  source: string;
  kind: string;
  events: readonly unknown[];
  receivedNs: bigint;
}

/** Undefined when the page is off: nothing is built and the bridge's calls short-circuit. */
export function createInspectPage(config: InspectConfig): InspectPage | undefined {
  if (!config.enabled) return undefined;
  const token = resolveToken(config);
  const feed = new InspectFeed({ maxEntries: config.maxEntries, maxBodyBytes: config.maxBodyBytes });
  return {
    inspector: feed,
    app: createInspectApp({ feed, token: token.token, path: INSPECT_PATH }),
    startLine: (baseUrl) => startLine(baseUrl, token, INSPECT_PATH),
    fromJournal: (batch, body, afterRestart) =>
      feed.begin({
        source: batch.source,
        topic: batch.kind,
        events: batch.events.length,
        body,
        receivedAt: Number(batch.receivedNs / 1_000_000n),
        fromJournal: afterRestart ? 'restart' : 'backlog',
      }),
    close: () => feed.close(),
  };
}
