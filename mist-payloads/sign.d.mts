/** The hex HMAC of `body` with `secret` (SHA-256 unless told otherwise). */
export function sign(body: Uint8Array | string, secret: string, algorithm?: 'sha256' | 'sha1'): string;

/** The signature headers Mist sends with `body`: X-Mist-Signature-v2 (SHA-256) and X-Mist-Signature (SHA-1), or only the latter. */
export function signatureHeaders(
  body: Uint8Array | string,
  secret: string,
  options?: { sha1Only?: boolean },
): { 'x-mist-signature-v2'?: string; 'x-mist-signature': string };
