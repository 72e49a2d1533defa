import { z } from 'zod';
import { section, setting } from '../setting.js';

/** The live inspector page (GET /inspect): off by default; when on, every request needs the token. */
export const inspect = section(
  {
    enabled: setting(z.boolean(), false, {
      env: 'MIST_BRIDGE_INSPECT',
      doc: 'serve the inspector page at `/inspect` ([Inspecting what arrives](#inspecting-what-arrives))',
    }),
    token: setting(
      z
        .string()
        // The token travels in a URL, a header and a cookie, and guards a page showing what the
        // network sends: long enough not to be guessed, nothing that needs quoting.
        .min(16, { message: 'must be at least 16 characters (or unset, to have one generated)' })
        .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' })
        .nullable(),
      null,
      {
        env: 'MIST_BRIDGE_INSPECT_TOKEN',
        doc: "the page's token; when unset, one is generated at every start and the page's URL with it is printed once",
        secret: true,
      },
    ),
    maxEntries: setting(z.number().int().min(1).max(10_000), 200, {
      env: 'MIST_BRIDGE_INSPECT_MAX_ENTRIES',
      doc: 'deliveries and stream messages the page keeps, per source (a busy stream does not push webhook deliveries out); older ones are dropped from view',
    }),
    maxBodyBytes: setting(z.number().int().min(256).max(1_048_576), 65_536, { doc: 'bytes of each raw body kept for the page' }),
  },
  { doc: 'The inspector page' },
);
