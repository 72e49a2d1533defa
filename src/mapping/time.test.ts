import { describe, expect, it } from 'vitest';
import { nsToHrTime, toEpochNs } from './time.js';

describe('toEpochNs', () => {
  it('reads integer seconds', () => {
    expect(toEpochNs(1461220784)).toBe(1461220784_000_000_000n);
  });
  it('reads float seconds to the microsecond, as sent', () => {
    expect(toEpochNs(1695194041.635342)).toBe(1695194041_635342000n);
    expect(toEpochNs(1717574400.5)).toBe(1717574400_500000000n);
  });
  it('reads 13-digit milliseconds (NAC topics)', () => {
    expect(toEpochNs(1749084229888)).toBe(1749084229_888000000n);
  });
  it('reads numeric strings (mxedge-events)', () => {
    expect(toEpochNs('1695194041.635342')).toBe(1695194041_635342000n);
    expect(toEpochNs('1749084229888')).toBe(1749084229_888000000n);
  });
  it('reads zone-less ISO-8601 as UTC, and honours an explicit zone', () => {
    expect(toEpochNs('2025-06-05T04:00:00')).toBe(BigInt(Date.UTC(2025, 5, 5, 4)) * 1_000_000n);
    expect(toEpochNs('2025-06-05T04:00:00.25+02:00')).toBe(BigInt(Date.UTC(2025, 5, 5, 2)) * 1_000_000n + 250_000_000n);
  });
  it('rejects what is not a time', () => {
    for (const v of [undefined, null, '', 'soon', 0, -5, Number.NaN, Infinity, true, {}]) {
      expect(toEpochNs(v)).toBeUndefined();
    }
  });
  it('splits nanoseconds into the SDK hr-time pair', () => {
    expect(nsToHrTime(1695194041_635342000n)).toEqual([1695194041, 635342000]);
  });
});
