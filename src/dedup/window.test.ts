import { describe, expect, it } from 'vitest';
import { EventDeduplicator } from './window.js';

const options = { windowSeconds: 60, maxEntries: 1000, ignoreFields: ['webhook_id', 'for_site'] };

describe('EventDeduplicator', () => {
  it('drops the site-level copy of an org-level event despite delivery fields, key order and aggregation', () => {
    const dedup = new EventDeduplicator(options);
    const a = { type: 'AP_DISCONNECTED', mac: 'aa', timestamp: 1700000000, detail: { x: 1, y: 2 }, webhook_id: 'org-hook' };
    const b = { type: 'AP_CONNECTED', mac: 'bb', timestamp: 1700000001 };
    const org = dedup.check('device-updowns', [a, b]);
    expect(org).toMatchObject({ kept: [a, b], dropped: 0 });
    org.remember();
    const c = { type: 'AP_RESTARTED', mac: 'cc', timestamp: 1700000002 };
    const siteCopyOfA = { detail: { y: 2, x: 1 }, webhook_id: 'site-hook', for_site: true, timestamp: 1700000000, mac: 'aa', type: 'AP_DISCONNECTED' };
    const site = dedup.check('device-updowns', [c, siteCopyOfA]);
    expect(site.kept).toEqual([c]);
    expect(site.dropped).toBe(1);
  });

  it('tells apart events that differ in any other field or in topic', () => {
    const dedup = new EventDeduplicator(options);
    dedup.check('alarms', [{ id: 1, n: 1 }]).remember();
    expect(dedup.check('alarms', [{ id: 1, n: 2 }]).dropped).toBe(0);
    expect(dedup.check('audits', [{ id: 1, n: 1 }]).dropped).toBe(0);
    expect(dedup.check('alarms', [{ id: 1, n: 1, webhook_id: 'w' }]).dropped).toBe(1);
  });

  it('remembers only what was accepted, and forgets on request', () => {
    const dedup = new EventDeduplicator(options);
    const v = dedup.check('t', [{ a: 1 }]);
    expect(dedup.check('t', [{ a: 1 }]).dropped).toBe(0);
    v.remember();
    expect(dedup.check('t', [{ a: 1 }]).dropped).toBe(1);
    v.forget();
    expect(dedup.check('t', [{ a: 1 }]).dropped).toBe(0);
  });

  it('forgets after the window and never holds more than maxEntries', () => {
    let now = 0;
    const dedup = new EventDeduplicator({ ...options, maxEntries: 100 }, () => now);
    dedup.check('t', [{ first: true }]).remember();
    for (let i = 0; i < 500; i++) dedup.check('t', [{ i }]).remember();
    expect(dedup.size).toBe(100);
    // The oldest went first.
    expect(dedup.check('t', [{ first: true }]).dropped).toBe(0);
    expect(dedup.check('t', [{ i: 499 }]).dropped).toBe(1);
    now += 60_001;
    expect(dedup.check('t', [{ i: 499 }]).dropped).toBe(0);
    expect(dedup.size).toBe(0);
  });

  it('is off with a window of 0', () => {
    const dedup = new EventDeduplicator({ ...options, windowSeconds: 0 });
    dedup.check('t', [{ a: 1 }]).remember();
    expect(dedup.check('t', [{ a: 1 }, { a: 1 }])).toMatchObject({ dropped: 0 });
    expect(dedup.size).toBe(0);
  });
});
