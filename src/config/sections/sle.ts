import { z } from 'zod';
import { section, setting } from '../setting.js';

/** The SLE poller (README "Site SLEs from Mist's API"): org-wide site SLEs per 10-minute bucket. */
export const sle = section(
  {
    enabled: setting(z.boolean().nullable(), null, {
      env: 'MIST_BRIDGE_SLE',
      doc: "poll every site's SLEs from Mist's API into `mist.site.sle.*` gauges; unset: on exactly when `mist.apiToken` is set",
    }),
    intervalMs: setting(z.number().int().min(1_000, { message: 'must be at least 1000 (one second)' }), 600_000, {
      env: 'MIST_BRIDGE_SLE_INTERVAL_MS',
      doc:
        "how often the poller looks for buckets Mist has finished; by default Mist's bucket size, 10 minutes, each look just after a bucket settles. " +
        'Each bucket is fetched once however often it looks: a look that finds none makes no call, and a longer interval fetches several buckets per look',
    }),
    classifiers: setting(z.boolean(), false, {
      env: 'MIST_BRIDGE_SLE_CLASSIFIERS',
      doc: "also export what degrades each SLE metric (`mist.site.sle.classifier.degraded`): one `summary-trend` call per site, metric and poll, planned against the token's budget",
    }),
    backfillHours: setting(z.number().int().min(0).max(168), 24, {
      env: 'MIST_BRIDGE_SLE_BACKFILL_HOURS',
      doc: 'after an outage, buckets missed in this many hours before the newest are fetched (oldest first); older ones are skipped with a warning',
      why: 'Bounds the burst of calls after a long outage: 6 per hour of backfill per SLE family and page of sites.',
    }),
  },
  { doc: "The SLE poller: site SLEs from Mist's REST API" },
);
