import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_V2_HEADER = 'x-mist-signature-v2';
export const SIGNATURE_SHA1_HEADER = 'x-mist-signature';

export interface SignaturePolicy {
  secrets: readonly string[];
  allowSha1: boolean;
  allowUnsigned: boolean;
}

export type SignatureVerdict =
  | { ok: true; scheme: 'v2' | 'sha1' | 'unsigned' }
  | { ok: false; reason: 'missing' | 'invalid' | 'sha1_not_allowed' };

const HEX = /^[0-9a-fA-F]+$/;

/**
 * True when `expectedHex` is the HMAC of one of the bodies under one of the secrets. Every
 * combination is computed and compared, with no early exit, so the time taken says nothing
 * about which secret or how many leading bytes matched.
 */
function matches(algorithm: 'sha256' | 'sha1', secrets: readonly string[], bodies: readonly Uint8Array[], expectedHex: string): boolean {
  const size = algorithm === 'sha256' ? 32 : 20;
  const hex = expectedHex.trim();
  const wellFormed = hex.length === size * 2 && HEX.test(hex);
  // A malformed header is still compared (against zeros) so it costs the same time.
  const expected = wellFormed ? Buffer.from(hex, 'hex') : Buffer.alloc(size);
  let found = false;
  for (const secret of secrets) {
    for (const body of bodies) {
      const digest = createHmac(algorithm, secret).update(body).digest();
      found = timingSafeEqual(digest, expected) || found;
    }
  }
  return found && wellFormed;
}

/**
 * Mist signs the body it sends. `bodies` holds the bytes as received and, when a proxy had
 * gzipped them, the decompressed bytes: a signature over either is genuine.
 */
export function verifySignature(
  policy: SignaturePolicy,
  header: (name: string) => string | undefined,
  bodies: readonly Uint8Array[],
): SignatureVerdict {
  if (policy.secrets.length === 0) {
    return policy.allowUnsigned ? { ok: true, scheme: 'unsigned' } : { ok: false, reason: 'missing' };
  }
  const v2 = header(SIGNATURE_V2_HEADER);
  if (v2 !== undefined) {
    return matches('sha256', policy.secrets, bodies, v2) ? { ok: true, scheme: 'v2' } : { ok: false, reason: 'invalid' };
  }
  const sha1 = header(SIGNATURE_SHA1_HEADER);
  if (sha1 !== undefined) {
    if (!policy.allowSha1) return { ok: false, reason: 'sha1_not_allowed' };
    return matches('sha1', policy.secrets, bodies, sha1) ? { ok: true, scheme: 'sha1' } : { ok: false, reason: 'invalid' };
  }
  return { ok: false, reason: 'missing' };
}
