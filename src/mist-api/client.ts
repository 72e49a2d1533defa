import { z } from 'zod';
import type { MistHttp } from './http.js';
import { getAllPages, getAllResults } from './paginate.js';
import { parseAnswer } from './parse.js';
import {
  type Self,
  type Site,
  type SiteSle,
  type SleFamily,
  type SleMetrics,
  type SleSummaryTrend,
  selfSchema,
  siteSchema,
  siteSleSchema,
  sleMetricsSchema,
  sleSummaryTrendSchema,
  type Webhook,
  type WebhookInput,
  type WebhookScope,
  type WebhookTopic,
  webhookSchema,
  webhookTopicSchema,
} from './types.js';

const seg = encodeURIComponent;

function scopePath(scope: WebhookScope): string {
  return `/${scope.kind === 'org' ? 'orgs' : 'sites'}/${seg(scope.id)}`;
}

export interface SitesSle {
  start?: number;
  end?: number;
  total?: number;
  results: SiteSle[];
}

/** The Mist endpoints the bridge uses, one method each; all calls go through one MistHttp. */
export class MistClient {
  constructor(
    readonly http: MistHttp,
    /** Items asked for per page (Mist's default is 100; the server may cap it). */
    readonly pageSize = 100,
  ) {}

  async self(signal?: AbortSignal): Promise<Self> {
    const res = await this.http.request('GET', '/self', opts(signal));
    return parseAnswer(selfSchema, res.body, 'GET', '/self');
  }

  /** Every site of the org, across all pages. */
  sites(orgId: string, signal?: AbortSignal): Promise<Site[]> {
    return getAllPages(this.http, `/orgs/${seg(orgId)}/sites`, siteSchema, { pageSize: this.pageSize, signal });
  }

  async webhookTopics(signal?: AbortSignal): Promise<WebhookTopic[]> {
    const res = await this.http.request('GET', '/const/webhook_topics', opts(signal));
    return parseAnswer(z.array(webhookTopicSchema), res.body, 'GET', '/const/webhook_topics');
  }

  webhooks(scope: WebhookScope, signal?: AbortSignal): Promise<Webhook[]> {
    return getAllPages(this.http, `${scopePath(scope)}/webhooks`, webhookSchema, { pageSize: this.pageSize, signal });
  }

  async createWebhook(scope: WebhookScope, input: WebhookInput, signal?: AbortSignal): Promise<Webhook> {
    const path = `${scopePath(scope)}/webhooks`;
    const res = await this.http.request('POST', path, { body: input, ...opts(signal) });
    return parseAnswer(webhookSchema, res.body, 'POST', path);
  }

  /** PUT changes only the fields given. */
  async updateWebhook(scope: WebhookScope, id: string, input: WebhookInput, signal?: AbortSignal): Promise<Webhook> {
    const path = `${scopePath(scope)}/webhooks/${seg(id)}`;
    const res = await this.http.request('PUT', path, { body: input, ...opts(signal) });
    return parseAnswer(webhookSchema, res.body, 'PUT', path);
  }

  async deleteWebhook(scope: WebhookScope, id: string, signal?: AbortSignal): Promise<void> {
    await this.http.request('DELETE', `${scopePath(scope)}/webhooks/${seg(id)}`, opts(signal));
  }

  /** Mist then posts the `ping` topic to the webhook's URL. A second ping does no harm. */
  async pingWebhook(scope: WebhookScope, id: string, signal?: AbortSignal): Promise<void> {
    await this.http.request('POST', `${scopePath(scope)}/webhooks/${seg(id)}/ping`, { idempotent: true, ...opts(signal) });
  }

  /**
   * Every site's SLE fractions of one family over [start, end) (epoch seconds), all pages:
   * one row per site, one field per metric.
   */
  async sitesSle(orgId: string, family: SleFamily, start: number, end: number, signal?: AbortSignal): Promise<SitesSle> {
    const page = await getAllResults(this.http, `/orgs/${seg(orgId)}/insights/sites-sle`, siteSleSchema, {
      query: { sle: family, start, end },
      pageSize: this.pageSize,
      signal,
    });
    return page as SitesSle;
  }

  /** The SLE metrics of one site scope: their names as `sleSummaryTrend` takes them (`enabled`). */
  async sleMetrics(siteId: string, scope: { kind: string; id: string }, signal?: AbortSignal): Promise<SleMetrics> {
    const path = `/sites/${seg(siteId)}/sle/${seg(scope.kind)}/${seg(scope.id)}/metrics`;
    const res = await this.http.request('GET', path, opts(signal));
    return parseAnswer(sleMetricsSchema, res.body, 'GET', path);
  }

  /** One metric of one site scope over time, with its classifiers (`summary-trend`, not the deprecated `summary`). */
  async sleSummaryTrend(
    siteId: string,
    scope: { kind: string; id: string },
    metric: string,
    start: number,
    end: number,
    signal?: AbortSignal,
  ): Promise<SleSummaryTrend> {
    const path = `/sites/${seg(siteId)}/sle/${seg(scope.kind)}/${seg(scope.id)}/metric/${seg(metric)}/summary-trend`;
    const res = await this.http.request('GET', path, { query: { start, end }, ...opts(signal) });
    return parseAnswer(sleSummaryTrendSchema, res.body, 'GET', path);
  }
}

function opts(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}
