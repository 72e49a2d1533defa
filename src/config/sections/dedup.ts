import { z } from 'zod';
import { section, setting } from '../setting.js';

export const dedup = section({
  windowSeconds: setting(z.number().int().min(0), 300, {
    env: 'MIST_BRIDGE_DEDUP_WINDOW',
    doc: 'seconds within which a repeat of an event is dropped; `0` turns deduplication off',
    why: 'An event enabled at org and site level arrives twice.',
  }),
  maxEntries: setting(z.number().int().positive(), 200000, { doc: 'events remembered at once (about 100 bytes each)' }),
  ignoreFields: setting(z.array(z.string().min(1)), ['webhook_id', 'for_site'], {
    doc: 'event fields that differ between two deliveries of one event',
  }),
});
