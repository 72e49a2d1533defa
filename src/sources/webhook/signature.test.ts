import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type SignaturePolicy, verifySignature } from './signature.js';

const body = Buffer.from('{"topic":"ping","events":[{"id":"1"}]}');
const hmac = (alg: string, secret: string, data: Uint8Array = body) => createHmac(alg, secret).update(data).digest('hex');
const headers = (h: Record<string, string>) => (name: string) => h[name];
const policy = (p: Partial<SignaturePolicy> = {}): SignaturePolicy => ({ secrets: ['one'], allowSha1: false, allowUnsigned: false, ...p });

describe('verifySignature', () => {
  it('accepts a v2 signature under the secret, in either hex case', () => {
    expect(verifySignature(policy(), headers({ 'x-mist-signature-v2': hmac('sha256', 'one') }), [body])).toEqual({ ok: true, scheme: 'v2', secretIndex: 0 });
    expect(verifySignature(policy(), headers({ 'x-mist-signature-v2': hmac('sha256', 'one').toUpperCase() }), [body]).ok).toBe(true);
  });
  it('accepts the second secret of a rotation, and says which matched', () => {
    const p = policy({ secrets: ['old', 'new'] });
    expect(verifySignature(p, headers({ 'x-mist-signature-v2': hmac('sha256', 'new') }), [body])).toEqual({ ok: true, scheme: 'v2', secretIndex: 1 });
    expect(verifySignature(p, headers({ 'x-mist-signature-v2': hmac('sha256', 'other') }), [body]).ok).toBe(false);
  });
  it('refuses a wrong, truncated, non-hex or missing signature', () => {
    const good = hmac('sha256', 'one');
    for (const bad of [hmac('sha256', 'two'), good.slice(0, 40), 'zz' + good.slice(2), '', hmac('sha256', 'one', Buffer.from('other'))]) {
      expect(verifySignature(policy(), headers({ 'x-mist-signature-v2': bad }), [body])).toEqual({ ok: false, reason: 'invalid', scheme: 'v2' });
    }
    expect(verifySignature(policy(), headers({}), [body])).toEqual({ ok: false, reason: 'missing' });
  });
  it('refuses SHA-1 alone unless allowed', () => {
    const h = headers({ 'x-mist-signature': hmac('sha1', 'one') });
    expect(verifySignature(policy(), h, [body])).toEqual({ ok: false, reason: 'sha1_not_allowed' });
    expect(verifySignature(policy({ allowSha1: true }), h, [body])).toEqual({ ok: true, scheme: 'sha1', secretIndex: 0 });
    expect(verifySignature(policy({ allowSha1: true }), headers({ 'x-mist-signature': hmac('sha1', 'two') }), [body])).toEqual({
      ok: false,
      reason: 'invalid',
      scheme: 'sha1',
    });
  });
  it('judges v2 when both headers are sent', () => {
    const h = headers({ 'x-mist-signature-v2': hmac('sha256', 'two'), 'x-mist-signature': hmac('sha1', 'one') });
    expect(verifySignature(policy({ allowSha1: true }), h, [body]).ok).toBe(false);
  });
  it('accepts unsigned deliveries only in unsigned mode', () => {
    expect(verifySignature(policy({ secrets: [], allowUnsigned: true }), headers({}), [body])).toEqual({ ok: true, scheme: 'unsigned' });
  });
});
