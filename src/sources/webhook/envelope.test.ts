import { describe, expect, it } from 'vitest';
import { decodeEnvelope, type EnvelopeError, MAX_NESTING_DEPTH } from './envelope.js';

const bytes = (s: string | Uint8Array) => (typeof s === 'string' ? Buffer.from(s) : s);
const code = (s: string | Uint8Array) => {
  try {
    decodeEnvelope(bytes(s));
  } catch (e) {
    return (e as EnvelopeError).code;
  }
  return 'ok';
};

describe('decodeEnvelope', () => {
  it('decodes topic and events, with the topic in canonical spelling', () => {
    expect(decodeEnvelope(bytes('{"topic":"Device_Events","events":[{"a":1},{"b":2}]}'))).toEqual({
      topic: 'device-events',
      events: [{ a: 1 }, { b: 2 }],
    });
  });
  it('keeps malformed events for the next stage to judge one by one', () => {
    expect(decodeEnvelope(bytes('{"topic":"alarms","events":[1,null,{"x":1}]}')).events).toEqual([1, null, { x: 1 }]);
  });
  it('names what is wrong', () => {
    expect(code('{"topic":')).toBe('invalid_json');
    expect(code('[]')).toBe('not_an_object');
    expect(code('"x"')).toBe('not_an_object');
    expect(code('{"events":[]}')).toBe('no_topic');
    expect(code('{"topic":"  ","events":[]}')).toBe('no_topic');
    expect(code('{"topic":"alarms"}')).toBe('no_events');
    expect(code('{"topic":"alarms","events":{}}')).toBe('no_events');
    expect(code(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe('not_utf8');
  });
  it('refuses very deep nesting, which every later stage would have to walk recursively', () => {
    expect(code('['.repeat(100_000) + ']'.repeat(100_000))).toBe('too_deep');
    const deep = (n: number) => '{"topic":"x","events":[' + '{"a":'.repeat(n) + '1' + '}'.repeat(n) + ']}';
    expect(code(deep(100_000))).toBe('too_deep');
    // envelope object (1) + events array (2) + n objects
    expect(code(deep(MAX_NESTING_DEPTH - 2))).toBe('ok');
    expect(code(deep(MAX_NESTING_DEPTH - 1))).toBe('too_deep');
  });
});
