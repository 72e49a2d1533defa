import { z } from 'zod';

/**
 * The parts of Mist's answers the client relies on, checked when they arrive; other fields pass
 * through untouched (Mist adds fields often).
 */

export const privilegeSchema = z.looseObject({
  scope: z.string(),
  role: z.string().optional(),
  org_id: z.string().optional(),
  site_id: z.string().optional(),
  name: z.string().optional(),
  org_name: z.string().optional(),
});
export const selfSchema = z.looseObject({ privileges: z.array(privilegeSchema).default([]) });
export type Self = z.infer<typeof selfSchema>;

export const siteSchema = z.looseObject({ id: z.string(), name: z.string().optional(), org_id: z.string().optional() });
export type Site = z.infer<typeof siteSchema>;

export const webhookTopicSchema = z.looseObject({
  key: z.string(),
  for_org: z.boolean().optional(),
  internal: z.boolean().optional(),
  allows_single_event_per_message: z.boolean().optional(),
  has_delivery_results: z.boolean().optional(),
});
export type WebhookTopic = z.infer<typeof webhookTopicSchema>;

export const webhookSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullable().optional(),
  url: z.string().optional(),
  type: z.string().optional(),
  enabled: z.boolean().optional(),
  topics: z.array(z.string()).default([]),
  secret: z.string().nullable().optional(),
  verify_cert: z.boolean().optional(),
  headers: z.record(z.string(), z.string()).nullable().optional(),
  org_id: z.string().optional(),
  site_id: z.string().optional(),
  for_site: z.boolean().optional(),
  created_time: z.number().optional(),
  modified_time: z.number().optional(),
});
export type Webhook = z.infer<typeof webhookSchema>;

/** What the client sends to create or update a webhook (Mist fills the read-only fields). */
export interface WebhookInput {
  name?: string;
  url?: string;
  type?: 'http-post';
  enabled?: boolean;
  topics?: string[];
  secret?: string;
  verify_cert?: boolean;
}

/** Where a webhook lives: the org's webhooks, or one site's. */
export type WebhookScope = { kind: 'org'; id: string } | { kind: 'site'; id: string };

export type SleFamily = 'wifi' | 'wired' | 'wan';
export const SLE_FAMILIES: readonly SleFamily[] = ['wifi', 'wired', 'wan'];

/** One site's row of `/insights/sites-sle`: counts, and each SLE metric as a fraction 0–1. */
export const siteSleSchema = z.looseObject({ site_id: z.string() });
export type SiteSle = z.infer<typeof siteSleSchema> & Record<string, unknown>;

/** `GET /sites/{site_id}/sle/{scope}/{scope_id}/metrics`: the metric names the scope's other SLE endpoints take. */
export const sleMetricsSchema = z.looseObject({
  supported: z.array(z.string()).default([]),
  enabled: z.array(z.string()).default([]),
});
export type SleMetrics = z.infer<typeof sleMetricsSchema>;

export const sleSamplesSchema = z.looseObject({
  total: z.array(z.number().nullable()).optional(),
  degraded: z.array(z.number().nullable()).optional(),
  value: z.array(z.number().nullable()).optional(),
});
export const sleSummaryTrendSchema = z.looseObject({
  start: z.number(),
  end: z.number(),
  sle: z.looseObject({ name: z.string().optional(), interval: z.number(), samples: sleSamplesSchema }).optional(),
  classifiers: z.array(z.looseObject({ name: z.string(), interval: z.number().optional(), samples: sleSamplesSchema })).default([]),
});
export type SleSummaryTrend = z.infer<typeof sleSummaryTrendSchema>;
