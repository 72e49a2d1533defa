import { SeverityNumber } from '@opentelemetry/api-logs';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { logs as sdkLogs } from '@opentelemetry/sdk-node';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMappings } from '../mapping/loader.js';
import type { LogOutput } from '../mapping/types.js';
import { nsToHrTime } from '../envelope/time.js';
import { LogEmitter } from './emit.js';

type ReadableLogRecord = sdkLogs.ReadableLogRecord;

const resource = resourceFromAttributes({ 'service.name': 'emit-test' });
const LIMIT = 1024;

/** What the SDK's own Logger hands its processors for the same mapped logs. */
function throughSdk(outputs: LogOutput[]): ReadableLogRecord[] {
  const records: ReadableLogRecord[] = [];
  const provider = new sdkLogs.LoggerProvider({
    resource,
    logRecordLimits: { attributeCountLimit: LIMIT },
    processors: [{ onEmit: (r) => void records.push(r), forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const logger = provider.getLogger('mist-otel-bridge', '1.0.0');
  for (const out of outputs) {
    logger.emit({
      eventName: out.eventName,
      timestamp: nsToHrTime(out.timeNs),
      observedTimestamp: nsToHrTime(out.observedNs),
      severityNumber: out.severityNumber,
      severityText: out.severityText,
      body: out.body,
      attributes: out.attributes,
    });
  }
  return records;
}

function throughEmitter(outputs: LogOutput[]): ReadableLogRecord[] {
  const records: ReadableLogRecord[] = [];
  const emitter = new LogEmitter(resource, { name: 'mist-otel-bridge', version: '1.0.0' }, LIMIT, (r) => records.push(r));
  for (const out of outputs) emitter.emit(out);
  return records;
}

function otlpBytes(records: ReadableLogRecord[]): Buffer {
  return Buffer.from(ProtobufLogsSerializer.serializeRequest(records)!);
}

const { engine } = loadMappings();
const testdata = fileURLToPath(new URL('../mapping/testdata/', import.meta.url));

function mappedLogs(topic: string, events: unknown[], receivedNs: bigint): LogOutput[] {
  return events.flatMap((e) => engine.map(topic, e, receivedNs).logs);
}

describe('LogEmitter', () => {
  const fixtures = readdirSync(testdata).filter((f) => f.endsWith('.input.json'));

  it.each(fixtures)('exports the same OTLP bytes as the SDK Logger for %s', (name) => {
    const fixture = JSON.parse(readFileSync(join(testdata, name), 'utf8')) as { topic: string; receivedNs: string; events: unknown[] };
    const outputs = mappedLogs(fixture.topic, fixture.events, BigInt(fixture.receivedNs));
    expect(otlpBytes(throughEmitter(outputs))).toEqual(otlpBytes(throughSdk(outputs)));
  });

  const corpus = fileURLToPath(new URL('../../../shared/mist-corpus/', import.meta.url));
  let bodies: string[] = [];
  try {
    bodies = readdirSync(corpus, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
  } catch {
    console.log(`emit.test: ${corpus} is absent; the corpus comparison is skipped`);
  }
  it.skipIf(bodies.length === 0)('exports the same OTLP bytes as the SDK Logger for every corpus body', () => {
    let compared = 0;
    for (const file of bodies) {
      let body: { topic?: unknown; events?: unknown };
      try {
        body = JSON.parse(readFileSync(join(corpus, file), 'utf8')) as typeof body;
      } catch {
        continue;
      }
      if (typeof body.topic !== 'string' || !Array.isArray(body.events)) continue;
      const outputs = mappedLogs(body.topic, body.events, 1_700_000_000_000_000_000n);
      expect(otlpBytes(throughEmitter(outputs)), file).toEqual(otlpBytes(throughSdk(outputs)));
      compared += outputs.length;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('keeps the first attributes up to the limit and counts the rest as dropped, as the SDK does', () => {
    const attributes = Object.create(null) as Record<string, string>;
    for (let i = 0; i < LIMIT + 7; i++) attributes[`mist.f${i}`] = `v${i}`;
    const out: LogOutput = {
      eventName: 'mist.test',
      timeNs: 1_700_000_000_123_456_789n,
      observedNs: 1_700_000_001_000_000_000n,
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: 'wide',
      attributes,
    };
    const [mine] = throughEmitter([out]);
    expect(mine!.droppedAttributesCount).toBe(7);
    expect(Object.keys(mine!.attributes)).toHaveLength(LIMIT);
    expect(otlpBytes([mine!])).toEqual(otlpBytes(throughSdk([out])));
  });
});
