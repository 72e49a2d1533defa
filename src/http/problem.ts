import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every error the bridge answers is JSON: a stable code for programs and a message for people. */
export function problem(c: Context, status: ContentfulStatusCode, error: string, message: string): Response {
  return c.json({ error, message }, status);
}

/** 503 with Retry-After: the sender should come back, nothing is wrong with its delivery. */
export function refuse(c: Context, refusal: { reason: string; retryAfterSeconds: number }): Response {
  c.header('Retry-After', String(refusal.retryAfterSeconds));
  return problem(c, 503, 'overloaded', refusal.reason);
}
