// Types of mist-stand-in.mjs for the TypeScript tests that start it.
export declare const STREAM_PATH: '/api-ws/v1/stream';

export interface MistStandIn {
  /** For MIST_API_URL. */
  url: string;
  /** For MIST_WS_URL. */
  wsUrl: string;
  orgId: string;
  siteIds: string[];
  /** `METHOD /path` of every call and upgrade, in order. */
  calls: string[];
  /** Channels subscribed on open connections, sorted. */
  subscriptions(): string[];
  /** One round now: readings move on and every subscriber gets its channels' documents. */
  round(): void;
  close(): Promise<void>;
}

export declare function startMistStandIn(options: { token: string; host?: string; port?: number; intervalMs?: number }): Promise<MistStandIn>;
