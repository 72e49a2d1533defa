import type { WebhookTopic } from '../mist-api/types.js';
import { canonicalTopic } from '../sources/webhook/topic.js';

export interface TopicSplit {
  /** Mist's spelling of each topic an org webhook may take. */
  org: string[];
  /** Mist's spelling of each topic only a site webhook may take. */
  siteOnly: string[];
  /** Wanted topics Mist does not offer (canonical spelling). */
  notOffered: string[];
}

/**
 * Splits the wanted topics by where Mist lets a webhook take them (`for_org` in
 * GET /const/webhook_topics). Topics are matched whatever their spelling (`site_sle`,
 * `site-sle`) and sent as Mist spells them.
 */
export function splitTopics(wanted: readonly string[], offered: readonly WebhookTopic[]): TopicSplit {
  const byCanonical = new Map(offered.filter((t) => !t.internal).map((t) => [canonicalTopic(t.key), t]));
  const split: TopicSplit = { org: [], siteOnly: [], notOffered: [] };
  for (const topic of [...new Set(wanted.map(canonicalTopic))]) {
    const entry = byCanonical.get(topic);
    if (!entry) split.notOffered.push(topic);
    else if (entry.for_org) split.org.push(entry.key);
    else split.siteOnly.push(entry.key);
  }
  return split;
}

export function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a.map(canonicalTopic));
  const y = new Set(b.map(canonicalTopic));
  return x.size === y.size && [...x].every((t) => y.has(t));
}
