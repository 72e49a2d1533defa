import { describe, expect, it } from 'vitest';
import type { MetricAttributes } from '../mapping/types.js';
import { type SeriesKind, SeriesTable } from './series-table.js';

const NONE = {} as MetricAttributes;
const kind = (key: string): SeriesKind<string> => ({ key, metric: key.split('|')[0]!, own: { k: key } as MetricAttributes });

function tableOf(keys: string[]): SeriesTable<string> {
  const t = new SeriesTable<string>();
  for (const [i, k] of keys.entries()) t.add(kind(k), NONE, 60n, BigInt(i), BigInt(100 + i), i * 1.5, 0, NaN, BigInt(i));
  return t;
}

/** How many rows each of its stores has room for. */
const room = (t: SeriesTable<string>) => [t.kinds.length, t.attributes.length, t.capacity];

describe('SeriesTable', () => {
  it('holds a series per row, every column at the same row', () => {
    const t = tableOf(['a', 'b', 'c']);
    expect(t.rows).toBe(3);
    const row = t.find('b');
    expect(row).toBe(1);
    expect(t.kinds[row]!.key).toBe('b');
    expect([t.time(row), t.value(row), t.start(row), t.flags(row), t.uptime(row)]).toEqual([101n, 1.5, 1n, 0, NaN]);
    expect([t.expired(row, 60n), t.expired(row, 61n)]).toEqual([false, true]);
    expect(t.previous(row)).toBeUndefined();
    expect(t.handed(row)).toBeUndefined();
  });

  it('finds keys in any order, and none that it does not hold', () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const t = tableOf(keys);
    // In order (the usual report), out of order, skipping some, and wrapping past the end.
    for (const k of [...keys, 'd', 'a', 'e', 'c', 'c', 'b', 'e', 'a']) expect(t.kinds[t.find(k)]!.key).toBe(k);
    expect(t.find('zz')).toBe(-1);
    expect(new SeriesTable<string>().find('a')).toBe(-1);
  });

  it('looks up a subject with many series through a map, also after rows are removed', () => {
    const keys = Array.from({ length: 600 }, (_, i) => `m|${i}`);
    const t = tableOf(keys);
    for (const k of [...keys].reverse()) expect(t.kinds[t.find(k)]!.key).toBe(k);
    // Keep every other row, compacted as SubjectSeries does at a collection.
    let kept = 0;
    for (let row = 0; row < t.rows; row++) {
      if (row % 2 === 1) continue;
      if (kept !== row) t.move(row, kept);
      kept++;
    }
    t.truncate(kept);
    expect(t.rows).toBe(300);
    expect(t.find('m|1')).toBe(-1);
    for (let i = 0; i < 600; i += 2) expect(t.value(t.find(`m|${i}`))).toBe(i * 1.5);
    // Down to a few rows, lookups scan again and still find every key.
    t.truncate(3);
    expect(t.find('m|4')).toBe(2);
    expect(t.find('m|6')).toBe(-1);
  });

  it('moves every column of a row, and trims every column to the rows it keeps', () => {
    const t = tableOf(['a', 'b', 'c']);
    t.setPrevious(2, { startNs: 1n, timeNs: 2n, value: 3 });
    t.setHanded(2, { startNs: 4n, timeNs: 5n, value: 6 });
    t.setFlags(2, 3);
    t.report(2, 102n, 3, 42);
    t.move(2, 0);
    t.truncate(1);
    expect(t.rows).toBe(1);
    expect(room(t)).toEqual([1, 1, 1]);
    expect(t.kinds[0]!.key).toBe('c');
    expect([t.time(0), t.value(0), t.flags(0), t.uptime(0), t.start(0)]).toEqual([102n, 3, 3, 42, 2n]);
    // Received at 2 with a TTL of 60.
    expect([t.expired(0, 61n), t.expired(0, 62n)]).toEqual([false, true]);
    expect(t.previous(0)).toEqual({ startNs: 1n, timeNs: 2n, value: 3 });
    expect(t.handed(0)).toEqual({ startNs: 4n, timeNs: 5n, value: 6 });
    expect(t.find('a')).toBe(-1);
    expect(t.find('c')).toBe(0);
  });

  it('adds rows after a trim, and truncating to nothing empties it', () => {
    const t = tableOf(['a', 'b']);
    t.trim();
    t.add(kind('c'), NONE, 60n, 0n, 0n, 7, 0, NaN, 0n);
    expect(t.value(t.find('c'))).toBe(7);
    // Grown, it has room for more rows; a trim (SubjectSeries': after a subject grew) takes it back.
    expect(t.capacity).toBeGreaterThan(3);
    t.trim();
    expect(room(t)).toEqual([3, 3, 3]);
    expect([t.kinds[2]!.key, t.time(2), t.value(2), t.time(1), t.value(1)]).toEqual(['c', 0n, 7, 101n, 1.5]);
    t.truncate(0);
    expect(t.rows).toBe(0);
    expect(room(t)).toEqual([0, 0, 0]);
    expect(t.find('a')).toBe(-1);
  });
});
