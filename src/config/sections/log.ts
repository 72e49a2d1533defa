import { z } from 'zod';
import { section, setting } from '../setting.js';

export const log = section({
  level: setting(z.enum(['error', 'warn', 'info', 'debug']), 'info', {
    env: 'MIST_BRIDGE_LOG_LEVEL',
    doc: "the bridge's own diagnostics (JSON lines on stderr; at most 10 lines of a kind per 10 s, then one saying how many were suppressed): `error`, `warn`, `info` or `debug`",
  }),
});
