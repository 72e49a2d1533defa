import type { z } from 'zod';
import { MistApiError } from './errors.js';

/** Checks one answer (or one item of it) against what the client relies on. */
export function parseAnswer<S extends z.ZodType>(schema: S, raw: unknown, method: string, path: string, where = ''): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const at = `${where}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
  throw new MistApiError(200, method, `/api/v1${path}`, `unexpected answer${at ? ` at ${at.replace(/^\./, '')}` : ''}: ${issue.message}`);
}
