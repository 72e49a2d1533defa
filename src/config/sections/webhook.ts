import { z } from 'zod';
import { section, setting } from '../setting.js';

/** The webhook source (its HTTP limits are under `server`, its signature check under `security`). */
export const webhook = section({
  enabled: setting(z.boolean(), true, {
    env: 'MIST_BRIDGE_WEBHOOK',
    doc: 'take webhook deliveries at `server.path`; `false` for a bridge that only streams or polls (then no secret is needed)',
  }),
});
