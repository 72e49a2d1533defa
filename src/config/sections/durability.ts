import { z } from 'zod';
import { section, setting } from '../setting.js';

const positiveInt = z.number().int().positive();

export const durability = section({
  dir: setting(z.string().min(1).nullable(), 'data', {
    env: 'MIST_BRIDGE_DATA_DIR',
    shownDefault: '`data` (relative to the working directory; empty = memory only, warned at start-up)',
    doc:
      'directory of the journal that keeps every accepted delivery until it is exported ([Reliability](#reliability)); ' +
      '`/var/lib/mist-otel-bridge` in the container image. It must be a writable directory on a real file system (created if missing)',
    why: 'null keeps it in memory only: then a crash or a stop with the backend away loses what was not exported.',
  }),
  maxBytes: setting(positiveInt, 1073741824, {
    env: 'MIST_BRIDGE_DATA_MAX_BYTES',
    doc: 'most the journal may hold; when full, deliveries get `503` + `Retry-After`',
  }),
  synchronous: setting(z.enum(['normal', 'full']), 'normal', {
    env: 'MIST_BRIDGE_DATA_SYNC',
    doc: '`normal` survives a crash of the bridge; `full` also a power loss or kernel crash (an fsync per commit)',
  }),
  maxQueuedRecords: setting(positiveInt, 20000, {
    doc: 'records waiting in memory for export beyond which new deliveries wait in the journal only',
    why: 'They are mapped in order once the backend catches up: bounds memory during an outage.',
  }),
});
