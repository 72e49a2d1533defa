import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SELF_SCOPE_NAME } from '../../src/signals/providers.js';
import type { MemoryRequest } from '../support/memory-otlp.js';
import { normalise, render, VOLATILE_RESOURCE_ATTRIBUTES } from '../support/otlp-golden.js';

/** Client stories as Mist delivers them, and the session spans each makes (./testdata, ./golden.test.ts). */

const dir = fileURLToPath(new URL('./testdata/', import.meta.url));

export interface Delivery {
  topic: string;
  events: unknown[];
}
export type Step = { deliver: Delivery } | { waitMs: number };
export interface Story {
  description: string;
  /** Another story whose spans this one must export exactly. */
  sameAs?: string;
  /** When the first delivery is received (epoch ns). */
  receivedNs: string;
  steps: Step[];
}

export function storyNames(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.story.json'))
    .map((f) => f.slice(0, -'.story.json'.length))
    .sort();
}

export function readStory(name: string): Story {
  return JSON.parse(readFileSync(join(dir, `${name}.story.json`), 'utf8')) as Story;
}

/** The deliveries of a story that has no waits, in order. */
export function deliveriesOf(name: string): Delivery[] {
  return readStory(name).steps.map((s) => {
    if (!('deliver' in s)) throw new Error(`story ${name} has waits: it cannot be posted as a list of deliveries`);
    return s.deliver;
  });
}

export function goldenPath(name: string): string {
  return join(dir, `${name}.traces.golden.json`);
}

/** What a golden of spans holds for these exports (test/support/otlp-golden.ts); `sinceNs`: when the run began. */
export function renderTraces(requests: readonly MemoryRequest[], sinceNs: bigint): string {
  const volatile = {
    resourceAttributes: VOLATILE_RESOURCE_ATTRIBUTES,
    scopes: [SELF_SCOPE_NAME],
    wallClock: { fromNs: sinceNs, toNs: BigInt(Date.now()) * 1_000_000n },
  };
  return render(normalise('traces', requests, volatile));
}
