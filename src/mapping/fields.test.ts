import { describe, expect, it } from 'vitest';
import { compileAlternatives, compileFieldRef, FieldRefError, parseFieldRef, toNumber } from './fields.js';

describe('field references', () => {
  it('parses dotted paths, indexes, bracketed keys with dots and $.', () => {
    expect(parseFieldRef('site_id')).toEqual({ fromRoot: false, segments: ['site_id'] });
    expect(parseFieldRef('alert_events.0.zone_id')).toEqual({ fromRoot: false, segments: ['alert_events', '0', 'zone_id'] });
    expect(parseFieldRef('["sys_info.usage"].severity')).toEqual({ fromRoot: false, segments: ['sys_info.usage', 'severity'] });
    expect(parseFieldRef('$.sle.ap-availability')).toEqual({ fromRoot: true, segments: ['sle', 'ap-availability'] });
  });

  it('rejects malformed references with the reason', () => {
    for (const bad of ['', 'a..b', 'a.', '["open', 'a["b"]x', 'a b"c']) expect(() => parseFieldRef(bad), bad).toThrow(FieldRefError);
  });

  it('reads nested values, array elements and the event root; never inherited properties', () => {
    const event = { a: { b: [{ c: 1 }, { c: 2 }] }, 'x.y': { z: 'dotted' }, site_id: 's' };
    expect(compileFieldRef('a.b.1.c')(event, event)).toBe(2);
    expect(compileFieldRef('["x.y"].z')(event, event)).toBe('dotted');
    expect(compileFieldRef('$.site_id')({ other: 1 }, event)).toBe('s');
    expect(compileFieldRef('a.b.x')(event, event)).toBeUndefined();
    expect(compileFieldRef('toString')(event, event)).toBeUndefined();
    expect(compileFieldRef('a.b.length')(event, event)).toBeUndefined();
  });

  it('takes the first present alternative (missing, null and "" are absent)', () => {
    const get = compileAlternatives(['ap', 'mac', 'device_mac']);
    expect(get({ ap: '', mac: null, device_mac: 'd' }, {})).toBe('d');
    expect(get({ ap: 'a', mac: 'm' }, {})).toBe('a');
    expect(get({}, {})).toBeUndefined();
  });

  it('turns numbers, numeric strings and booleans into numbers, anything else into nothing', () => {
    expect([5, '5.5', ' -3 ', true, 'FALSE', 'x', '', null, Number.NaN, {}, '1e3'].map(toNumber)).toEqual([5, 5.5, -3, 1, 0, undefined, undefined, undefined, undefined, undefined, 1000]);
  });
});
