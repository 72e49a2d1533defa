import type { PlannedUse } from '../../mist-api/budget.js';
import { SLE_BUCKET_SECONDS } from './buckets.js';

const BUCKETS_PER_HOUR = 3600 / SLE_BUCKET_SECONDS;

/** How long a site's list of SLE metrics is used before it is asked for again. */
export const SITE_METRICS_REFRESH_MS = 3_600_000;

/** Until a site's metrics are listed: the fractions `/insights/sites-sle` reports over its three families. */
const ASSUMED_METRICS_PER_SITE = 14;

/** What the poller knows of the org's size; nothing before its first poll. */
export interface SleScale {
  /** Sites in the org's SLE answers. */
  sites?: number;
  /** SLE metrics listed, summed over those sites (classifiers). */
  siteMetrics?: number;
}

export interface SlePlanOptions {
  families: number;
  intervalMs: number;
  /** Sites per page of `/insights/sites-sle`. */
  pageSize: number;
  classifiers: boolean;
}

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * The poller's calls per hour, for the budget check. A family costs one call per page of sites
 * per 10-minute bucket, however often the poller looks; classifiers cost one call per site and
 * metric per poll that finds a new bucket (a poll covers all its new buckets in one call), plus a
 * listing of each site's metrics per hour. Before the first poll the site count is unknown: the
 * plan counts one page and one site, the least it can be, and is checked again once it is known.
 */
export function slePlans(options: SlePlanOptions, scale: SleScale = {}): PlannedUse[] {
  const known = scale.sites !== undefined;
  const sites = Math.max(1, scale.sites ?? 1);
  const pages = Math.max(1, Math.ceil(sites / options.pageSize));
  const sitesText = known
    ? `${plural(scale.sites!, 'site')}, ${options.pageSize} per page`
    : `sites not known before the first poll, ${options.pageSize} per page`;
  const plans: PlannedUse[] = [
    {
      name: 'SLE poller',
      callsPerHour: options.families * pages * BUCKETS_PER_HOUR,
      how: `${options.families} SLE ${options.families === 1 ? 'family' : 'families'} × ${plural(pages, 'page')} (${sitesText}) × ${BUCKETS_PER_HOUR} ten-minute buckets per hour`,
    },
  ];
  if (options.classifiers) {
    const polls = 3_600_000 / Math.max(options.intervalMs, SLE_BUCKET_SECONDS * 1000);
    const pollsText = `${Math.round(polls * 100) / 100} polls per hour`;
    const metrics = scale.siteMetrics ?? sites * ASSUMED_METRICS_PER_SITE;
    const metricsText =
      scale.siteMetrics !== undefined
        ? `${plural(metrics, 'site metric')} (${plural(sites, 'site')})`
        : `${plural(sites, 'site')}${known ? '' : ' at least'} × ${ASSUMED_METRICS_PER_SITE} metrics until listed`;
    plans.push({
      name: 'SLE classifiers',
      callsPerHour: metrics * polls + sites,
      how: `${metricsText} × ${pollsText} + ${plural(sites, 'metric listing')} per hour`,
    });
  }
  return plans;
}
