import { z } from 'zod';
import { section, setting } from '../setting.js';

/** The webhook source's signature check. */
export const security = section({
  secrets: setting(z.array(z.string().min(1, { message: 'an empty secret is not a secret' })), [], {
    env: 'MIST_WEBHOOK_SECRET',
    secret: true,
    shownDefault: '(none)',
    doc: 'the webhook secret set in Mist; comma-separate several while rotating',
    why: 'Prefer MIST_WEBHOOK_SECRET to writing secrets in a file.',
  }),
  allowSha1: setting(z.boolean(), false, {
    env: 'MIST_BRIDGE_ALLOW_SHA1',
    doc: 'accept the SHA-1 `X-Mist-Signature` when no `X-Mist-Signature-v2` is sent',
  }),
  allowUnsigned: setting(z.boolean(), false, {
    env: 'MIST_BRIDGE_ALLOW_UNSIGNED',
    doc: 'accept deliveries without a signature (logged loudly at start-up). Without a secret and without this, the bridge refuses to start',
  }),
});
