import { describe, expect, it } from 'vitest';
import { sessionSpanId, sessionTraceId } from './ids.js';

const client = { org: '2c7e4c1a-0f3b-4d7e-9a51-6b0c8d2e7f10', site: '8a1d2b3c-4e5f-4a6b-8c7d-9e0f1a2b3c4d', mac: 'f0d5bf3a9c21' };

describe('session ids', () => {
  it('are a pure function of their inputs, in the lengths OTLP takes', () => {
    const trace = sessionTraceId(client, 'connect:1763712000');
    expect(trace).toMatch(/^[0-9a-f]{32}$/);
    expect(sessionTraceId({ ...client }, 'connect:1763712000')).toBe(trace);
    const span = sessionSpanId(trace, 'connected', 'd420b0aa0001', 1763712000);
    expect(span).toMatch(/^[0-9a-f]{16}$/);
    expect(sessionSpanId(trace, 'connected', 'd420b0aa0001', 1763712000)).toBe(span);
  });

  it('differ when any part differs, and parts cannot run into each other', () => {
    const trace = sessionTraceId(client, 'connect:1763712000');
    expect(sessionTraceId({ ...client, mac: 'f0d5bf3a9c22' }, 'connect:1763712000')).not.toBe(trace);
    expect(sessionTraceId({ ...client, org: 'other' }, 'connect:1763712000')).not.toBe(trace);
    expect(sessionTraceId(client, 'connect:1763712001')).not.toBe(trace);
    expect(sessionSpanId(trace, 'dhcp', '10.0.0.1', 1)).not.toBe(sessionSpanId(trace, 'dhcp', '10.0.0.11'));
    expect(sessionSpanId(trace, 'connected', 'ab', 'c')).not.toBe(sessionSpanId(trace, 'connected', 'a', 'bc'));
  });
});
