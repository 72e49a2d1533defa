import { randomBytes } from 'node:crypto';
import type { BridgeConfig } from '../config/schema.js';

/** The `inspect:` section of the configuration (declared in src/config/sections/inspect.ts). */
export type InspectConfig = BridgeConfig['inspect'];

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
