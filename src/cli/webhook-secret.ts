import { randomBytes } from 'node:crypto';

export interface SecretChoice {
  /** The secret to set where one is needed; undefined when an existing one is to be kept. */
  value: string | undefined;
  source: 'MIST_WEBHOOK_SECRET' | 'generated';
}

/**
 * The bridge accepts several comma-separated secrets while one is being rotated; Mist signs
 * with one, and the first is the one to give it.
 */
export function secretFromEnv(raw: string | undefined): string | undefined {
  const first = raw
    ?.split(',')
    .map((s) => s.trim())
    .find((s) => s.length > 0);
  return first;
}

/** 256 random bits, URL-safe so it can be pasted into an environment variable as is. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
