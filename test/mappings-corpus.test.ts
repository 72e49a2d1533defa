import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMappings } from '../src/mapping/loader.js';
import { nowNs } from '../src/mapping/time.js';
import { packagePath } from '../src/package-root.js';
import { decodeEnvelope } from '../src/sources/webhook/envelope.js';
import { startTestBridge } from './support/bridge-harness.js';
import { useMemoryOtlp } from './support/memory-otlp.js';
import { postDelivery } from './support/mist-client.js';

/**
 * Every public Mist body in ../shared/mist-corpus (real captures, Mist's const examples, spec
 * examples and placeholders) through the mappings: accepted, each event yields telemetry, no
 * exception, no NaN, and every timestamp is plausible (2015–2100). Skipped when the corpus is absent.
 */

const corpus = join(packagePath(), '..', 'shared', 'mist-corpus');
const present = existsSync(corpus);
if (!present) console.warn(`mappings corpus test skipped: ${corpus} not found`);

const files = present
  ? readdirSync(corpus, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        readdirSync(join(corpus, d.name))
          .filter((f) => f.endsWith('.json'))
          .map((f) => join(d.name, f)),
      )
      .sort()
  : [];

const MIN_NS = BigInt(Date.UTC(2015, 0, 1)) * 1_000_000n;
const MAX_NS = BigInt(Date.UTC(2100, 0, 1)) * 1_000_000n;

function assertNoNaN(value: unknown, where: string): void {
  if (typeof value === 'number') expect(Number.isFinite(value), where).toBe(true);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) assertNoNaN(v, `${where}[${i}]`);
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertNoNaN(v, `${where}.${k}`);
}

describe.skipIf(!present)('the Mist corpus through the mappings', () => {
  const { engine } = loadMappings();

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(250);
  });

  it.each(files)('%s', (file) => {
    const envelope = decodeEnvelope(readFileSync(join(corpus, file)));
    expect(envelope.events.length).toBeGreaterThan(0);
    const receivedNs = nowNs();
    for (const [i, event] of envelope.events.entries()) {
      const out = engine.map('webhook', envelope.topic, event, receivedNs);
      const where = `${file} event ${i}`;
      expect(out.logs.length + out.metrics.length + out.trace.length, where).toBeGreaterThan(0);
      const times = [...out.logs.flatMap((l) => [l.timeNs, l.observedNs]), ...out.metrics.map((m) => m.timeNs), ...out.trace.map((t) => t.timeNs)];
      for (const t of times) {
        expect(t >= MIN_NS && t < MAX_NS, `${where}: time ${t}`).toBe(true);
      }
      for (const m of out.metrics) expect(Number.isFinite(m.value), `${where}: ${m.name}`).toBe(true);
      assertNoNaN(out.metrics, where);
      assertNoNaN(
        out.logs.map((l) => l.attributes),
        where,
      );
    }
  });
});

describe.skipIf(!present)('the Mist corpus posted to a running bridge', () => {
  const memory = useMemoryOtlp();

  it('accepts every body with no failed event', async () => {
    const bridge = await startTestBridge(memory);
    try {
      for (const file of files) {
        const res = await postDelivery(bridge.webhook, readFileSync(join(corpus, file)));
        expect([file, res.status, res.json.failed_events]).toEqual([file, 200, 0]);
      }
      await memory.waitFor(() => memory.logs.length > 0 && memory.points.length > 0);
      for (const l of memory.logs) expect(l.timeUnixNano >= MIN_NS && l.timeUnixNano < MAX_NS).toBe(true);
    } finally {
      await bridge.stop();
    }
  });
});
