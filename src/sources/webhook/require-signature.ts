import { createMiddleware } from 'hono/factory';
import { problem } from '../../http/problem.js';
import type { Logger } from '../../log/logger.js';
import { headerReader, type IngressEnv, origin } from './request.js';
import { type SignaturePolicy, type SignatureVerdict, verifySignature } from './signature.js';

type Failure = Extract<SignatureVerdict, { ok: false }>['reason'];

const MESSAGES: Record<Failure, string> = {
  missing: 'X-Mist-Signature-v2 header is required',
  sha1_not_allowed: 'only X-Mist-Signature (SHA-1) was sent and SHA-1 signatures are not allowed; configure a v2 signature or set security.allowSha1',
  invalid: 'signature does not match the body under any configured secret',
};

export interface RequireSignatureOptions {
  policy: SignaturePolicy;
  log: Logger;
  /** Told of every refused delivery (self-telemetry counts them by reason). */
  onFailure?: (reason: Failure) => void;
}

/**
 * Lets a delivery through only when Mist's HMAC signature matches `c.get('body')` (as sent, or as
 * decompressed when a proxy gzipped it) under one of the configured secrets; 401 otherwise.
 */
export function requireSignature(options: RequireSignatureOptions) {
  const { policy, log, onFailure } = options;
  return createMiddleware<IngressEnv>(async (c, next) => {
    const body = c.get('body');
    const header = headerReader(c);
    const verdict = verifySignature(policy, header, body.wire === body.decoded ? [body.wire] : [body.wire, body.decoded]);
    c.set('signature', verdict);
    if (!verdict.ok) {
      log.warn('delivery refused: signature', { reason: verdict.reason, ...origin(c, header) });
      onFailure?.(verdict.reason);
      return problem(c, 401, `signature_${verdict.reason}`, MESSAGES[verdict.reason]);
    }
    await next();
  });
}
