/**
 * The spanmetrics connector in otel-collector.yaml groups session spans by attributes the bridge
 * really puts on them: a bridge is fed a client's story (NAC permit → join → IP → disconnect, from
 * test/deploy/fixtures) and the attribute names of the spans it exports are compared with the
 * connector's dimensions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../support/otlp-receiver.js';
import { emittedByFixtures, spanmetricsConnector } from './emitted.js';

const SESSION_SPANS = ['client-session', 'nac-auth', 'dhcp', 'connected'];

let spans: ReceivedSpan[];
beforeAll(async () => {
  spans = (await emittedByFixtures()).spans.filter((s) => SESSION_SPANS.includes(s.name));
}, 60_000);

const dimensions = (spanmetricsConnector().dimensions ?? []).map((d) => d.name);
const has = (s: ReceivedSpan, key: string) => Object.hasOwn(s.attributes, key) || Object.hasOwn(s.resource, key);

describe('spanmetrics dimensions', () => {
  it('are site, WLAN and AP', () => {
    expect(dimensions).toHaveLength(3);
    expect(dimensions.find((d) => /site/.test(d))).toBeDefined();
    expect(dimensions.find((d) => /wlan/.test(d))).toBeDefined();
    expect(dimensions.find((d) => /(^|\.)ap($|_)/.test(d))).toBeDefined();
  });

  it('the fixture story comes out as a session trace with every kind of session span', () => {
    const connected = spans.find((s) => s.name === 'connected');
    expect(connected, 'a connected span').toBeDefined();
    const trace = spans.filter((s) => s.traceId === connected!.traceId).map((s) => s.name);
    expect(trace.sort()).toEqual([...SESSION_SPANS].sort());
  });

  it('are each an attribute the bridge puts on session spans', () => {
    const keys = new Set(spans.flatMap((s) => [...Object.keys(s.attributes), ...Object.keys(s.resource)]));
    for (const d of dimensions) expect([...keys], d).toContain(d);
  });

  it('give every session span its site, and every association its AP (the per-site and per-AP panels)', () => {
    const site = dimensions.find((d) => /site/.test(d))!;
    const ap = dimensions.find((d) => /(^|\.)ap($|_)/.test(d))!;
    for (const s of spans) expect(has(s, site), `${s.name} has ${site}`).toBe(true);
    for (const s of spans.filter((x) => x.name === 'connected')) expect(has(s, ap), `connected has ${ap}`).toBe(true);
  });
});
