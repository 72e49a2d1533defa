import { BudgetError } from '../mist-api/budget.js';
import { MistApiError, MistConfigError, MistUnreachableError } from '../mist-api/errors.js';

/** Exit codes of the `webhook` commands, for scripts (README "Pointing Mist at the bridge"). */
export const EXIT = {
  ok: 0,
  /** Mist answered an error, or could not be reached after the retries. */
  failed: 1,
  /** Bad arguments or configuration: nothing was asked of Mist, or nothing could be. */
  usage: 2,
  /** Mist refused the token (401) or the permission (403). */
  denied: 3,
  /** No webhook of that name or id. */
  notFound: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A problem with what the user asked for, found before or without asking Mist. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError || err instanceof MistConfigError || err instanceof BudgetError) return EXIT.usage;
  if (err instanceof NotFoundError) return EXIT.notFound;
  if (err instanceof MistApiError) return err.status === 401 || err.status === 403 ? EXIT.denied : EXIT.failed;
  if (err instanceof MistUnreachableError) return EXIT.failed;
  return EXIT.failed;
}

/** A short word for the JSON output's `error.kind`. */
export function errorKind(err: unknown): string {
  const code = exitCodeOf(err);
  return (Object.entries(EXIT).find(([, v]) => v === code)?.[0] ?? 'failed') as string;
}
