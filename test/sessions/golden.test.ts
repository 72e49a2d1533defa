import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS } from '../../src/sessions/session.js';
import { MemoryOtlp } from '../support/memory-otlp.js';
import { expectGolden, UPDATE_GOLDEN } from '../support/otlp-golden.js';
import { startStages } from '../support/processing-stages.js';
import { goldenPath, readStory, renderTraces, type Story, storyNames } from './stories.js';

/**
 * Session traces as golden files: testdata/<story>.story.json is a client's story as Mist would
 * deliver it — webhook deliveries in order, and `waitMs` steps where time passes (the periodic
 * sweep runs after each) — followed by a clean stop; testdata/<story>.traces.golden.json is the
 * spans the bridge exports for it, as OTLP/JSON (see test/support/otlp-golden.ts for what is
 * masked and ordered). The deliveries go through the bridge's processing, session tracker and
 * span export (test/support/processing-stages.ts) on a clock the story moves; the default
 * session settings apply (settle 60 s, max age a day).
 *
 * A story with `sameAs` must export exactly the spans of that story.
 *
 * After an intended change: `UPDATE_GOLDEN=1 npx vitest run test/sessions/golden.test.ts`, then
 * review the diff.
 */

const sinceNs = BigInt(Date.now()) * 1_000_000n;

async function exported(story: Story): Promise<MemoryOtlp> {
  const memory = new MemoryOtlp();
  const stages = await startStages({ memory, startNs: BigInt(story.receivedNs), sessions: true });
  for (const step of story.steps) {
    if ('waitMs' in step) stages.advance(step.waitMs);
    else stages.process({ source: 'webhook', kind: step.deliver.topic, events: step.deliver.events });
  }
  await stages.stop();
  return memory;
}

describe('golden session traces per story', () => {
  it.each(storyNames())('%s', async (name) => {
    const story = readStory(name);
    const memory = await exported(story);
    // Whatever the story, the spanmetrics connector's dimensions: on every span of a client that
    // associated (an authentication that never did has no WLAN or AP), the site on all.
    const associated = new Set(memory.spans.filter((s) => s.name === 'connected').map((s) => s.traceId));
    for (const s of memory.spans) {
      for (const d of associated.has(s.traceId) ? DIMENSIONS : ['mist.site_id']) expect(s.attributes[d], `${s.name} ${d}`).toBeDefined();
    }
    const actual = renderTraces(memory.requests, sinceNs);
    expectGolden(goldenPath(name), actual);
    if (story.sameAs !== undefined && !UPDATE_GOLDEN)
      expect(actual, `${name} exports what ${story.sameAs} does`).toBe(readFileSync(goldenPath(story.sameAs), 'utf8'));
  });
});
