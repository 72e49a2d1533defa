import { loadMappings } from '../../mapping/loader.js';

/**
 * Metric names for the fractions of `/insights/sites-sle`. Those the `site-sle` webhook topic
 * also carries keep exactly the names its mapping file gives them (mappings/site-sle.yaml), so a
 * dashboard works whichever way the data came; the others follow the same rule
 * (`mist.site.sle.` + the key with `-` as `_`).
 */
export function sleMetricNames(): (key: string) => string {
  const fromMapping = new Map<string, string>();
  const siteSle = loadMappings().sources.find((s) => s.spec.topic === 'site-sle');
  for (const m of siteSle?.spec.metrics ?? []) {
    const key = /^sle\.(.+)$/.exec(typeof m.value === 'string' ? m.value : '')?.[1];
    if (key) fromMapping.set(key, m.name);
  }
  return (key) => fromMapping.get(key) ?? `mist.site.sle.${key.replace(/-/g, '_').toLowerCase()}`;
}
