/**
 * What can go wrong talking to Mist, as errors whose messages are safe to show: the API token is
 * never part of one (messages from lower layers pass through `redact` first, and no error keeps
 * a `cause` that could hold request headers).
 */

/** Mist answered with an error status. `detail` is Mist's own text, shown verbatim. */
export class MistApiError extends Error {
  override name = 'MistApiError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** Mist's `detail` (and any other fields of its error body), or the start of a non-JSON body. */
    readonly detail: string,
  ) {
    super(`Mist answered ${status} to ${method} ${path}${detail ? `: ${detail}` : ''}`);
  }
}

/** No answer: the connection failed or the request timed out, after the retries. */
export class MistUnreachableError extends Error {
  override name = 'MistUnreachableError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly reason: string,
    /** False when the connection was never made, so even a POST can be sent again. */
    readonly mayHaveArrived: boolean,
  ) {
    super(`could not reach Mist for ${method} ${path}: ${reason}`);
  }
}

/** The client cannot be used as configured (no token, a bad URL, no org to work on). */
export class MistConfigError extends Error {
  override name = 'MistConfigError';
}

/** Mist's error bodies are `{"detail": "..."}`, sometimes with more fields (`reason`). */
export function describeErrorBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text.trim().replace(/\s+/g, ' ').slice(0, 300);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return text.trim().slice(0, 300);
  const { detail, ...rest } = body as Record<string, unknown>;
  const parts: string[] = [];
  if (detail !== undefined) parts.push(typeof detail === 'string' ? detail : JSON.stringify(detail));
  for (const [key, value] of Object.entries(rest)) parts.push(`(${key}: ${typeof value === 'string' ? value : JSON.stringify(value)})`);
  return parts.join(' ');
}

/** Replaces every occurrence of the secret in a message from a lower layer. */
export function redact(text: string, secret: string): string {
  return secret.length > 0 ? text.split(secret).join('[redacted]') : text;
}
