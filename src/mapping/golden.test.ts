import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadMappings } from './loader.js';
import { routeKey } from './schema.js';
import type { MappedEvent } from './types.js';

/**
 * Golden tests, one per mapping file: testdata/<topic>.input.json (fixtures written for this
 * project, covering the quirks FIELDS.md and MIST-API.md list) → testdata/<topic>.golden.json,
 * the exact telemetry the engine produces: names, values, attributes, severities, bodies,
 * epoch-ns timestamps, and for stream files subjects and start times. A fixture of another
 * source than the webhook names its `source`, `kind` and `context`; its events are mapped in
 * order by one engine, as a running bridge would (a subject remembers across them).
 * After an intended change, regenerate with `UPDATE_GOLDEN=1 npx vitest run src/mapping/golden.test.ts`
 * and review the diff.
 */

const dir = fileURLToPath(new URL('./testdata/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const { engine, sources } = loadMappings();

interface Fixture {
  /** Webhook fixtures: the topic. */
  topic?: string;
  source?: string;
  kind?: string;
  context?: Record<string, string>;
  receivedNs: string;
  events: unknown[];
}

function keyOf(f: Fixture): string {
  return routeKey(f.source ?? 'webhook', f.kind ?? f.topic!);
}

function render(mapped: MappedEvent[]): string {
  return JSON.stringify(mapped, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 1) + '\n';
}

const fixtures = readdirSync(dir).filter((f) => f.endsWith('.input.json')).sort();

describe('golden telemetry per topic', () => {
  it.each(fixtures)('%s', (name) => {
    const fixture = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Fixture;
    const receivedNs = BigInt(fixture.receivedNs);
    const actual = render(fixture.events.map((e) => engine.map(fixture.source ?? 'webhook', fixture.kind ?? fixture.topic!, e, receivedNs, fixture.context)));
    const goldenPath = join(dir, name.replace('.input.json', '.golden.json'));
    if (update) writeFileSync(goldenPath, actual);
    expect(actual).toBe(readFileSync(goldenPath, 'utf8'));
  });

  it('has a fixture for every mapped topic', () => {
    const covered = new Set(fixtures.map((f) => keyOf(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture)));
    const missing = sources.map((s) => s.spec.topic).filter((t) => t !== '*' && !covered.has(t));
    expect(missing).toEqual([]);
  });
});
