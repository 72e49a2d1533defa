import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { boolean, integer, nullableText, type Parse } from '../config/env.js';

/**
 * The `inspect:` section of the configuration: the live inspector page (GET /inspect). Off by
 * default; when on, every request to it needs the token. Defaults live here, in the schema.
 */
export const inspectConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** null: a token is generated at every start (and so changes at every restart). */
    token: z
      .string()
      // The token travels in a URL, a header and a cookie, and guards a page showing what the
      // network sends: long enough not to be guessed, nothing that needs quoting.
      .min(16, { message: 'must be at least 16 characters (or unset, to have one generated)' })
      .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' })
      .nullable()
      .default(null),
    /** Deliveries and stream messages kept for the page; older ones are dropped from view. */
    maxEntries: z.number().int().min(1).max(10_000).default(200),
    /** Bytes of each raw body kept for the page (the rest is cut, and the page says so). */
    maxBodyBytes: z.number().int().min(256).max(1_048_576).default(65_536),
  })
  .strict()
  // An absent section is the defaults, parsed like any other value.
  .prefault({});

export type InspectConfig = z.infer<typeof inspectConfigSchema>;

/** Environment variables of the section, in the form of src/config/env.ts (variable → [path, parser]). */
export const INSPECT_ENV_VARIABLES: Record<string, [path: string, parse: Parse]> = {
  MIST_BRIDGE_INSPECT: ['inspect.enabled', boolean],
  MIST_BRIDGE_INSPECT_TOKEN: ['inspect.token', nullableText],
  MIST_BRIDGE_INSPECT_MAX_ENTRIES: ['inspect.maxEntries', integer],
};

export interface InspectToken {
  token: string;
  /** True when no token was configured and this one was made for this run. */
  generated: boolean;
}

/** The configured token, or a new one: 192 random bits, URL-safe. */
export function resolveToken(config: Pick<InspectConfig, 'token'>): InspectToken {
  if (config.token !== null) return { token: config.token, generated: false };
  return { token: randomBytes(24).toString('base64url'), generated: true };
}

/**
 * The line the bridge prints once at start, as Jupyter does. A generated token is in the URL: it
 * is the only way to learn it, and it dies with the process. A configured token is not printed:
 * whoever set it knows it, and log lines travel further than the terminal.
 */
export function startLine(baseUrl: string, token: InspectToken, path = '/inspect'): string {
  const page = new URL(path, baseUrl);
  if (!token.generated) {
    return `Inspector: ${page.href}?token=<MIST_BRIDGE_INSPECT_TOKEN> (or Authorization: Bearer)`;
  }
  page.searchParams.set('token', token.token);
  return `Inspector: ${page.href} (token generated for this run; set MIST_BRIDGE_INSPECT_TOKEN to keep one across restarts)`;
}
