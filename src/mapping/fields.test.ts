import { describe, expect, it } from 'vitest';
import { compileAlternatives, compileFieldRef, eventScope, FieldRefError, parseFieldRef, type Scope, toNumber } from './fields.js';

describe('field references', () => {
  it('parses dotted paths, indexes, bracketed keys with dots and $.', () => {
    expect(parseFieldRef('site_id')).toEqual({ base: 'item', up: 0, fromRoot: false, segments: ['site_id'] });
    expect(parseFieldRef('alert_events.0.zone_id')).toMatchObject({ fromRoot: false, segments: ['alert_events', '0', 'zone_id'] });
    expect(parseFieldRef('["sys_info.usage"].severity')).toMatchObject({ fromRoot: false, segments: ['sys_info.usage', 'severity'] });
    expect(parseFieldRef('$.sle.ap-availability')).toEqual({ base: 'root', up: 0, fromRoot: true, segments: ['sle', 'ap-availability'] });
  });

  it('parses the context, the element key and references to enclosing elements', () => {
    expect(parseFieldRef('$context.site_id')).toEqual({ base: 'context', up: 0, fromRoot: false, segments: ['site_id'] });
    expect(parseFieldRef('$key')).toEqual({ base: 'key', up: 0, fromRoot: false, segments: [] });
    expect(parseFieldRef('$parent.$key')).toEqual({ base: 'key', up: 1, fromRoot: false, segments: [] });
    expect(parseFieldRef('$parent.$parent.poe.max_power')).toEqual({ base: 'item', up: 2, fromRoot: false, segments: ['poe', 'max_power'] });
  });

  it('rejects malformed references with the reason', () => {
    for (const bad of [
      '',
      'a..b',
      'a.',
      '["open',
      'a["b"]x',
      'a b"c',
      '$keys',
      '$key.x',
      '$context',
      '$context.a.b',
      '$parent.$.x',
      '$parent.$context.x',
      '$foo.bar',
    ]) {
      expect(() => parseFieldRef(bad), bad).toThrow(FieldRefError);
    }
    expect(() => parseFieldRef('$foo.bar')).toThrow(/unknown reference "\$foo".*\$key/);
  });

  it('reads nested values, array elements and the event root; never inherited properties', () => {
    const event = { a: { b: [{ c: 1 }, { c: 2 }] }, 'x.y': { z: 'dotted' }, site_id: 's' };
    const at = eventScope(event);
    expect(compileFieldRef('a.b.1.c')(at)).toBe(2);
    expect(compileFieldRef('["x.y"].z')(at)).toBe('dotted');
    expect(compileFieldRef('$.site_id')({ ...at, item: { other: 1 } })).toBe('s');
    expect(compileFieldRef('a.b.x')(at)).toBeUndefined();
    expect(compileFieldRef('toString')(at)).toBeUndefined();
    expect(compileFieldRef('a.b.length')(at)).toBeUndefined();
  });

  it('reads context values, element keys and enclosing elements; nothing outside them', () => {
    const event = { module_stat: [{ fpc_idx: 3, temperatures: [{ name: 'CPU', celsius: 45 }] }] };
    const root = eventScope(event, { site_id: 'site-1' });
    const member: Scope = { item: event.module_stat[0], key: '0', parent: root, root: event, context: root.context };
    const sensor: Scope = { item: event.module_stat[0]!.temperatures[0], key: '0', parent: member, root: event, context: root.context };
    expect(compileFieldRef('$context.site_id')(sensor)).toBe('site-1');
    expect(compileFieldRef('$context.org_id')(sensor)).toBeUndefined();
    expect(compileFieldRef('$context.site_id')(eventScope(event))).toBeUndefined();
    expect(compileFieldRef('name')(sensor)).toBe('CPU');
    expect(compileFieldRef('$parent.fpc_idx')(sensor)).toBe(3);
    expect(compileFieldRef('$parent.$key')(sensor)).toBe('0');
    expect(compileFieldRef('$parent.$parent.module_stat.0.fpc_idx')(sensor)).toBe(3);
    expect(compileFieldRef('$parent.$parent.$parent.x')(sensor)).toBeUndefined();
    expect(compileFieldRef('$key')(root)).toBeUndefined();
  });

  it('takes the first present alternative (missing, null and "" are absent)', () => {
    const get = compileAlternatives(['ap', 'mac', 'device_mac']);
    expect(get(eventScope({ ap: '', mac: null, device_mac: 'd' }))).toBe('d');
    expect(get(eventScope({ ap: 'a', mac: 'm' }))).toBe('a');
    expect(get(eventScope({}))).toBeUndefined();
  });

  it('turns numbers, numeric strings and booleans into numbers, anything else into nothing', () => {
    expect([5, '5.5', ' -3 ', true, 'FALSE', 'x', '', null, Number.NaN, {}, '1e3'].map(toNumber)).toEqual([
      5,
      5.5,
      -3,
      1,
      0,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      1000,
    ]);
  });
});
