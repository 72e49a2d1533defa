import type { Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { holdAttributes, Interner, spanAttributes } from './held.js';

const map = (o: Record<string, unknown>) => Object.assign(Object.create(null), o) as Attributes;

describe('held attributes', () => {
  it('give back the span attributes in the mapping order, primitives and lists of one type only', () => {
    const interner = new Interner();
    const held = holdAttributes(
      map({ 'mist.b': 'x', 'mist.a': 2, 'mist.roles': ['r1', 'r2'], 'mist.nested': { k: 1 }, 'mist.mixed': [1, 'a'], 'mist.ok': true }),
      interner,
    );
    const attrs = spanAttributes(held);
    expect(Object.entries(attrs)).toEqual([
      ['mist.b', 'x'],
      ['mist.a', 2],
      ['mist.roles', ['r1', 'r2']],
      ['mist.ok', true],
    ]);
    expect(spanAttributes(held)).not.toBe(attrs); // each span its own object
    expect(spanAttributes(undefined)).toEqual({});
  });

  it('share one key list between facts with the same keys, and one copy of equal string lists', () => {
    const interner = new Interner();
    const a = holdAttributes(map({ 'mist.site_id': 's1', 'mist.roles': ['staff'] }), interner);
    const b = holdAttributes(map({ 'mist.site_id': 's2', 'mist.roles': ['staff'] }), interner);
    const c = holdAttributes(map({ 'mist.roles': ['staff'], 'mist.site_id': 's1' }), interner);
    expect(a[0]).toBe(b[0]);
    expect(a[0]).not.toBe(c[0]);
    expect(a[2]).toBe(b[2]);
    expect(a[2]).toBe(c[1]);
  });

  it('pick the named attributes present as one shared, frozen object per set of values', () => {
    const interner = new Interner(['mist.site_id', 'mist.wlan_id', 'mist.ap']);
    const a = interner.pick(holdAttributes(map({ 'mist.ap': 'ap1', 'mist.rssi': -60, 'mist.site_id': 's1' }), interner));
    const b = interner.pick(holdAttributes(map({ 'mist.site_id': 's1', 'mist.ap': 'ap1' }), interner));
    expect(Object.entries(a)).toEqual([
      ['mist.site_id', 's1'],
      ['mist.ap', 'ap1'],
    ]);
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(interner.pick(holdAttributes(map({ 'mist.site_id': 's1', 'mist.ap': 'ap2' }), interner))).not.toBe(a);
  });

  it('keep a common list shared while a stream of unique ones passes through the bounded pool', () => {
    const interner = new Interner();
    const common = interner.internList(['staff', 'vpn-users']);
    for (let i = 0; i < 100_000; i++) {
      expect(interner.internList([`unique-${i}`])).toEqual([`unique-${i}`]);
      if (i % 1000 === 0) expect(interner.internList(['staff', 'vpn-users'])).toBe(common);
    }
    expect(interner.internList(['staff', 'vpn-users'])).toBe(common);
  });
});
