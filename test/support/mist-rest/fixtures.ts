/**
 * What the stand-in answers, written from Mist's documentation (../shared/MIST-API.md, MIST.md):
 * the error bodies it documents and the topic and SLE names it uses.
 */

export const ERRORS = {
  unauthenticated: { detail: 'Authentication credentials were not provided.' },
  forbidden: { detail: 'You do not have permission to perform this action.' },
  rateLimited: { detail: 'Too Many Request. The API Token used for the request reached the 5000 API Calls per hour threshold' },
  notFound: { detail: 'Not found.' },
} as const;

/** Topics an org webhook may take (`for_org: true`), per Mist's topic list and webhook guide. */
export const ORG_TOPICS = [
  'alarms',
  'audits',
  'client-info',
  'client-join',
  'client-sessions',
  'device-events',
  'device-updowns',
  'mxedge-events',
  'nac-accounting',
  'nac-events',
];

/** Topics only a site webhook may take. */
export const SITE_ONLY_TOPICS = [
  'asset-raw-rssi',
  'client-latency',
  'discovered-raw-rssi',
  'guest-authorizations',
  'location',
  'location-asset',
  'location-centrak',
  'location-client',
  'location-sdk',
  'location-unclient',
  'minis-application',
  'minis-reachability',
  'occupancy-alerts',
  'rssizone',
  'sdkclient-scan-data',
  'site-sle',
  'vbeacon',
  'wifi-conn-raw',
  'wifi-unconn-raw',
  'zone',
];

export interface TopicEntry {
  key: string;
  for_org?: boolean;
  has_delivery_results?: boolean;
  allows_single_event_per_message?: boolean;
}

/** `GET /const/webhook_topics` as Mist shapes it: `for_org` only where true. */
export function defaultTopics(): TopicEntry[] {
  return [...ORG_TOPICS.map((key) => ({ key, for_org: true })), ...SITE_ONLY_TOPICS.map((key) => ({ key }))].sort((a, b) => a.key.localeCompare(b.key));
}

/** The SLE metrics `/insights/sites-sle` returns per family, besides the counts. */
export const SLE_METRICS = {
  wifi: ['ap-availability', 'ap-health', 'capacity', 'coverage', 'roaming', 'successful-connect', 'throughput', 'time-to-connect'],
  wired: ['switch-bandwidth', 'switch-health', 'switch-throughput'],
  wan: ['application_health', 'gateway-health', 'wan-link-health'],
} as const;

export const SLE_COUNTS = {
  wifi: ['num_aps', 'num_clients'],
  wired: ['num_switches', 'num_clients'],
  wan: ['num_gateways', 'num_clients'],
} as const;

export type Family = keyof typeof SLE_METRICS;

/**
 * `GET /sites/{site_id}/sle/site/{site_id}/metrics`: the names the per-site SLE endpoints take,
 * which are not all spelled as `/insights/sites-sle` keys (`switch_health`, `failed-to-connect`).
 */
const SITE_SLE_SUPPORTED = [
  'coverage',
  'capacity',
  'time-to-connect',
  'failed-to-connect',
  'roaming',
  'throughput',
  'ap-availability',
  'switch_health',
  'switch_throughput',
  'gateway-health',
  'application_health',
  'wan-link-health',
  'location_jitter',
] as const;

export const SITE_SLE_METRICS = {
  supported: SITE_SLE_SUPPORTED,
  // One supported metric not enabled, so a poller that polls `supported` instead is caught.
  enabled: SITE_SLE_SUPPORTED.filter((m) => m !== 'location_jitter'),
};

/** The classifiers `summary-trend` reports for every metric. */
export const SLE_CLASSIFIERS = ['weak-signal', 'asymmetry-uplink'] as const;

/**
 * A value every test can recompute: a fraction in [0.5, 1) that differs by site, metric and
 * bucket, so a point exported for the wrong bucket or site is caught.
 */
export function sleValue(siteId: string, metric: string, start: number): number {
  let h = 2166136261;
  for (const c of `${siteId}|${metric}|${start}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return 0.5 + (h % 5000) / 10000;
}
