import { loadMappings } from '../mapping/loader.js';
import { DEFAULT_TOPIC } from '../mapping/schema.js';
import { canonicalTopic } from '../sources/webhook/topic.js';

/**
 * The topics the bridge maps, read from its built-in mapping files so a new mapping file is
 * subscribed to without touching this command. `ping` is left out: Mist sends it on request
 * (the Test button, `webhook ping`) whatever a webhook subscribes to.
 */
export function bridgeTopics(): string[] {
  const { sources } = loadMappings();
  return sources
    .map((s) => canonicalTopic(s.spec.topic))
    .filter((t) => t !== DEFAULT_TOPIC && t !== 'ping')
    .sort();
}
