import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryOtlp } from '../../test/support/memory-otlp.js';
import { expectGolden, normalise, render, VOLATILE_RESOURCE_ATTRIBUTES } from '../../test/support/otlp-golden.js';
import { startStages } from '../../test/support/processing-stages.js';
import { SELF_SCOPE_NAME } from '../signals/providers.js';
import { loadMappings } from './loader.js';
import { routeKey } from './schema.js';

/**
 * Golden files, one pair per mapping file, at the layer users see: testdata/<name>.input.json
 * (fixtures written for this project, covering the quirks FIELDS.md and MIST-API.md list) goes
 * through the bridge's processing, signals and export stages into the SDK's in-memory exporters,
 * and what they export is compared, as OTLP/JSON, with testdata/<name>.logs.golden.json and
 * <name>.metrics.golden.json (see test/support/otlp-golden.ts for what is masked and ordered).
 *
 * A webhook fixture is one delivery of its `topic`; a fixture of another source names its
 * `source`, `kind` and `context`: a stream fixture's events are its messages, in order (a subject
 * remembers across them), an SLE fixture is one poll's batch. Every fixture is received at its
 * `receivedNs`, which is also the stages' clock; the metrics are one collection taken after the
 * last event.
 *
 * After an intended change: `UPDATE_GOLDEN=1 npx vitest run src/mapping/golden.test.ts`, then
 * review the diff.
 */

const dir = fileURLToPath(new URL('./testdata/', import.meta.url));

interface Fixture {
  /** Webhook fixtures: the topic. */
  topic?: string;
  source?: string;
  kind?: string;
  context?: Record<string, string>;
  receivedNs: string;
  events: unknown[];
}

const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.input.json'))
  .sort()
  .map((file) => ({ name: file.slice(0, -'.input.json'.length), fixture: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture }));

const fromNs = BigInt(Date.now()) * 1_000_000n;

async function exported(fixture: Fixture): Promise<MemoryOtlp> {
  const memory = new MemoryOtlp();
  const receivedNs = BigInt(fixture.receivedNs);
  const stages = await startStages({ memory, startNs: receivedNs, sessions: false });
  const source = fixture.source ?? 'webhook';
  const kind = fixture.kind ?? fixture.topic!;
  const context = fixture.context === undefined ? {} : { context: fixture.context };
  // The stream hands on each message as a batch; a webhook delivery, an SLE poll's page are one.
  if (source === 'stream') for (const event of fixture.events) stages.process({ source, kind, events: [event], receivedNs, ...context });
  else stages.process({ source, kind, events: fixture.events, receivedNs, ...context });
  await stages.stop();
  return memory;
}

describe('golden OTLP per mapping file', () => {
  it.each(fixtures)('$name', async ({ name, fixture }) => {
    const memory = await exported(fixture);
    const volatile = {
      resourceAttributes: VOLATILE_RESOURCE_ATTRIBUTES,
      scopes: [SELF_SCOPE_NAME],
      wallClock: { fromNs, toNs: BigInt(Date.now()) * 1_000_000n },
    };
    for (const signal of ['logs', 'metrics'] as const) {
      expectGolden(join(dir, `${name}.${signal}.golden.json`), render(normalise(signal, memory.requests, volatile)));
    }
    // Session facts are not part of a mapping's golden (test/sessions/ has stories for them).
    expect(memory.requests.filter((r) => r.signal === 'traces')).toEqual([]);
  });

  it('has a fixture for every mapped topic', () => {
    const covered = new Set(fixtures.map(({ fixture: f }) => routeKey(f.source ?? 'webhook', f.kind ?? f.topic!)));
    const missing = loadMappings()
      .sources.map((s) => s.spec.topic)
      .filter((t) => t !== '*' && !covered.has(t));
    expect(missing).toEqual([]);
  });
});
