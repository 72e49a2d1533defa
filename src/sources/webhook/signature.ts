import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_V2_HEADER = 'x-mist-signature-v2';
export const SIGNATURE_SHA1_HEADER = 'x-mist-signature';

export interface SignaturePolicy {
  secrets: readonly string[];
  allowSha1: boolean;
  allowUnsigned: boolean;
}

export type SignatureVerdict =
  /** `secretIndex`: which configured secret matched (0-based), as the inspector shows during a rotation. */
  | { ok: true; scheme: 'v2' | 'sha1'; secretIndex: number }
  | { ok: true; scheme: 'unsigned' }
  /** `scheme`: the header that was checked and did not match. */
  | { ok: false; reason: 'invalid'; scheme: 'v2' | 'sha1' }
  | { ok: false; reason: 'missing' | 'sha1_not_allowed' };

const HEX = /^[0-9a-fA-F]+$/;

/**
 * The index of the first secret under which `expectedHex` is the HMAC of one of the bodies, or -1.
 * Every combination is computed and compared, with no early exit, so the time taken says nothing
 * about which secret or how many leading bytes matched.
 */
function matches(algorithm: 'sha256' | 'sha1', secrets: readonly string[], bodies: readonly Uint8Array[], expectedHex: string): number {
  const size = algorithm === 'sha256' ? 32 : 20;
  const hex = expectedHex.trim();
  const wellFormed = hex.length === size * 2 && HEX.test(hex);
  // A malformed header is still compared (against zeros) so it costs the same time.
  const expected = wellFormed ? Buffer.from(hex, 'hex') : Buffer.alloc(size);
  let found = -1;
  secrets.forEach((secret, index) => {
    for (const body of bodies) {
      const digest = createHmac(algorithm, secret).update(body).digest();
      if (timingSafeEqual(digest, expected) && found < 0) found = index;
    }
  });
  return wellFormed ? found : -1;
}

/**
 * Mist signs the body it sends. `bodies` holds the bytes as received and, when a proxy had
 * gzipped them, the decompressed bytes: a signature over either is genuine.
 */
export function verifySignature(policy: SignaturePolicy, header: (name: string) => string | undefined, bodies: readonly Uint8Array[]): SignatureVerdict {
  if (policy.secrets.length === 0) {
    return policy.allowUnsigned ? { ok: true, scheme: 'unsigned' } : { ok: false, reason: 'missing' };
  }
  const v2 = header(SIGNATURE_V2_HEADER);
  if (v2 !== undefined) {
    const index = matches('sha256', policy.secrets, bodies, v2);
    return index >= 0 ? { ok: true, scheme: 'v2', secretIndex: index } : { ok: false, reason: 'invalid', scheme: 'v2' };
  }
  const sha1 = header(SIGNATURE_SHA1_HEADER);
  if (sha1 !== undefined) {
    if (!policy.allowSha1) return { ok: false, reason: 'sha1_not_allowed' };
    const index = matches('sha1', policy.secrets, bodies, sha1);
    return index >= 0 ? { ok: true, scheme: 'sha1', secretIndex: index } : { ok: false, reason: 'invalid', scheme: 'sha1' };
  }
  return { ok: false, reason: 'missing' };
}
