import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { resolveOtlp } from '../../src/config/sections/otlp.js';
import { EventDeduplicator } from '../../src/dedup/window.js';
import { createExporters } from '../../src/export/exporters.js';
import { createLogger } from '../../src/log/logger.js';
import { loadMappings } from '../../src/mapping/loader.js';
import { createProcessingStages, type ProcessingStages } from '../../src/processing-stages.js';
import { decodeEnvelope, type Envelope, EnvelopeError } from '../../src/sources/webhook/envelope.js';

// Property-based tests: whatever a sender puts in a body, decoding either yields an envelope or
// a clear EnvelopeError, and mapping any event of any topic never throws out of the pipeline.

const MAPPINGS = fileURLToPath(new URL('../../mappings', import.meta.url));
const knownTopics = readdirSync(MAPPINGS)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length));

// Field names real events carry, so generated events reach the mappers' interesting paths.
const FIELD_NAMES = [
  'timestamp',
  'type',
  'mac',
  'ap',
  'site_id',
  'org_id',
  'severity',
  'text',
  'reason',
  'count',
  'connect',
  'disconnect',
  'connect_float',
  'disconnect_float',
  'duration',
  'rssi',
  'ssid',
  'band',
  'client_mac',
  'next_ap',
  'termination_reason',
  'details',
  'status',
  'group',
  'avg_dhcp',
  'max_auth',
  'rx_bytes',
  'tx_bytes',
  'auth_type',
  'nas_vendor',
  'port_id',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
];

const scalar = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('1700000000', '1700000000123', '2024-06-05T10:00:00Z', 'true', 'NaN', '-1', ''),
  fc.constantFrom(1_700_000_000, 1_700_000_000_123, 1e300, -0, Number.MAX_SAFE_INTEGER),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', maxDepth: 5 }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 })),
})).v;
const mistLikeEvent = fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string()), value, { maxKeys: 12 });
const event = fc.oneof(mistLikeEvent, value);
const topic = fc.oneof(fc.constantFrom(...knownTopics), fc.string({ minLength: 1 }));

/**
 * Processing as the bridge builds it (mapping, SDK records, instruments, sessions, the export
 * stages), with every exporter `none`: what it exports is discarded.
 */
function processingStages(): Promise<ProcessingStages> {
  const config = loadConfig({
    env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true' },
    overrides: {
      exporters: { logs: 'none', metrics: 'none', traces: 'none' },
      sessions: { maxSessions: 1000, maxAgeMs: 3_600_000, settleMs: 0, stitchWindowMs: 60_000, retainEndedMs: 60_000, maxPendingFacts: 10_000 },
    },
  });
  return createProcessingStages({
    config,
    mappings: loadMappings(),
    exporters: createExporters(resolveOtlp(config.otlp), config.exporters),
    log: createLogger('error'),
  });
}

describe('the envelope decoder', () => {
  const decodesOrRefuses = (bytes: Uint8Array) => {
    try {
      const env = decodeEnvelope(bytes);
      expect(typeof env.topic).toBe('string');
      expect(Array.isArray(env.events)).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(EnvelopeError);
    }
  };

  it('yields an envelope or an EnvelopeError for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesOrRefuses), { numRuns: 2000 });
  });

  it('yields an envelope or an EnvelopeError for any JSON text, envelope-shaped or not', () => {
    const envelopeText = fc
      .record({ topic: fc.oneof(topic, value), events: fc.oneof(fc.array(event, { maxLength: 5 }), value) }, { requiredKeys: [] })
      .map((o) => JSON.stringify(o));
    fc.assert(
      fc.property(fc.oneof(fc.json(), envelopeText), (text) => decodesOrRefuses(Buffer.from(text))),
      { numRuns: 2000 },
    );
  });
});

describe('processing and deduplication', () => {
  it('map every event of any topic without failing or throwing, and never touch Object.prototype', async () => {
    const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    const dedup = new EventDeduplicator({ windowSeconds: 60, maxEntries: 1000, ignoreFields: ['webhook_id', 'for_site'] });
    const stages = await processingStages();
    fc.assert(
      fc.property(topic, fc.array(event, { maxLength: 5 }), (t, events) => {
        // Events as the decoder produces them: through JSON, so __proto__ is an own key.
        let decoded: Envelope;
        try {
          decoded = decodeEnvelope(Buffer.from(JSON.stringify({ topic: t, events })));
        } catch (err) {
          if (err instanceof EnvelopeError) return; // e.g. a blank topic: refused before mapping
          throw err;
        }
        dedup.check(decoded.topic, decoded.events).remember();
        const receipt = stages.processor.process({ source: 'webhook', kind: decoded.topic, events: decoded.events, receivedNs: 1_700_000_000_000_000_000n });
        expect(receipt).toEqual({ status: 'accepted', events: decoded.events.length, duplicates: 0, failedEvents: 0 });
      }),
      { numRuns: 1500 },
    );
    expect((await stages.stop(Date.now() + 10_000)).flushed).toBe(true);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
  });
});
