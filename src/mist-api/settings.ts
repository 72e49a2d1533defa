import { DEFAULT_BUDGET_SHARE } from './budget.js';
import { resolveBaseUrl } from './clouds.js';
import { MistConfigError } from './errors.js';

/** The client's environment variables (README "Mist API"). */
export interface MistApiSettings {
  token: string;
  baseUrl: string;
  orgId: string | undefined;
  budgetShare: number;
}

export function readMistApiSettings(env: NodeJS.ProcessEnv): MistApiSettings {
  const token = env.MIST_API_TOKEN?.trim() ?? '';
  if (token === '') {
    throw new MistConfigError('MIST_API_TOKEN is not set: create an API token in the Mist portal (Organization → Settings → API Token) and export it');
  }
  let baseUrl: string;
  try {
    baseUrl = resolveBaseUrl(env.MIST_API_URL);
  } catch (err) {
    throw new MistConfigError((err as Error).message);
  }
  const rawShare = env.MIST_API_BUDGET_SHARE?.trim();
  const budgetShare = rawShare ? Number(rawShare) : DEFAULT_BUDGET_SHARE;
  if (!(budgetShare > 0 && budgetShare <= 1)) {
    throw new MistConfigError(`MIST_API_BUDGET_SHARE: expected a fraction more than 0 and at most 1, got "${rawShare}"`);
  }
  return { token, baseUrl, orgId: env.MIST_ORG_ID?.trim() || undefined, budgetShare };
}
