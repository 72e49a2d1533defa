import type { Hono } from 'hono';
import type { Source } from '../contract.js';
import { createWebhookApp, type WebhookAppOptions } from './app.js';
import type { IngressEnv } from './request.js';

/**
 * Mist's webhooks: deliveries POSTed to the bridge's port, checked, decoded into batches and
 * handed to the next stage, each answered once that stage has it durably. The HTTP server is the
 * bridge's; this source mounts its route on it (`app`) and takes deliveries while started.
 */
export class WebhookSource implements Source {
  readonly name = 'webhook';
  readonly app: Hono<IngressEnv>;
  private taking = false;

  constructor(options: Omit<WebhookAppOptions, 'taking'>) {
    this.app = createWebhookApp({ ...options, taking: () => this.taking });
  }

  async start(): Promise<void> {
    this.taking = true;
  }

  /** From now on deliveries are answered 503 + Retry-After; those in flight finish. */
  async stop(): Promise<void> {
    this.taking = false;
  }

  ready(): boolean {
    return this.taking;
  }
}
