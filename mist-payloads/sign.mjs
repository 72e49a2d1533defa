// How Mist signs a webhook delivery (../shared/MIST.md): an HMAC of the raw body with the
// webhook's secret, hex-encoded, SHA-256 in X-Mist-Signature-v2 and SHA-1 in X-Mist-Signature.
// The one signer of the tests, the benchmark and the demo sender (bench/wrk-deliveries.lua signs
// inside wrk, and the benchmark checks its signatures against this one).
import { createHmac } from 'node:crypto';

/** The hex HMAC of `body` with `secret`. */
export function sign(body, secret, algorithm = 'sha256') {
  return createHmac(algorithm, secret).update(body).digest('hex');
}

/** The signature headers Mist sends with `body`; `sha1Only`: only the SHA-1 one, as old integrations have it. */
export function signatureHeaders(body, secret, { sha1Only = false } = {}) {
  if (sha1Only) return { 'x-mist-signature': sign(body, secret, 'sha1') };
  return { 'x-mist-signature-v2': sign(body, secret), 'x-mist-signature': sign(body, secret, 'sha1') };
}
