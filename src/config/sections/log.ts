import { z } from 'zod';
import { section, setting } from '../setting.js';

export const log = section({
  level: setting(z.enum(['error', 'warn', 'info', 'debug']), 'info', {
    env: 'MIST_BRIDGE_LOG_LEVEL',
    doc: "the bridge's own diagnostics (JSON lines on stderr): `error`, `warn`, `info` or `debug`",
  }),
});
