import { z } from 'zod';
import { DEFAULT_BUDGET_SHARE } from '../../mist-api/budget.js';
import { DEFAULT_BASE_URL, resolveBaseUrl } from '../../mist-api/clouds.js';
import { EnvValueError, section, setting } from '../setting.js';

// Mist ids are 8-4-4-4-12 hex but not always RFC 4122 variants (device ids start 00000000-0000-0000-1000-…).
export const mistId = z.guid({ message: 'expected a Mist id (8-4-4-4-12 hexadecimal)' });

const baseUrl = z.string().transform((raw, ctx) => {
  try {
    return resolveBaseUrl(raw);
  } catch (err) {
    ctx.issues.push({ code: 'custom', input: raw, message: (err as Error).message });
    return z.NEVER;
  }
});

/** Mist's REST API, shared by the stream's site discovery and the SLE poller (and the `webhook` command). */
export const mist = section(
  {
    apiToken: setting(z.string().min(1, { message: 'an empty token is not a token' }).nullable(), null, {
      env: 'MIST_API_TOKEN',
      doc: 'a Mist API token (Organization → Settings → API Token); when set, the stream and the SLE poller start',
      secret: true,
      why: 'Prefer MIST_API_TOKEN to writing the token in a file.',
    }),
    apiUrl: setting(baseUrl, DEFAULT_BASE_URL, {
      env: 'MIST_API_URL',
      fromEnv: (raw) => raw,
      doc: "Mist's REST base: a URL, a host, or a cloud's name (`EMEA 01`, `Global 03`…)",
    }),
    orgId: setting(mistId.nullable(), null, {
      env: 'MIST_ORG_ID',
      doc: "the org to read; when unset, the token's only org (`GET /self`)",
    }),
    budgetShare: setting(z.number().gt(0).max(1), DEFAULT_BUDGET_SHARE, {
      env: 'MIST_API_BUDGET_SHARE',
      fromEnv: (raw) => {
        const n = Number(raw.trim());
        if (raw.trim() === '' || !Number.isFinite(n)) throw new EnvValueError(`expected a fraction such as 0.5, got "${raw}"`);
        return n;
      },
      doc: "the share of the token's 5,000 calls an hour the bridge may plan to use; a configuration that needs more is refused at start-up",
    }),
  },
  { doc: 'Mist\'s REST API (README "Mist\'s API")' },
);
