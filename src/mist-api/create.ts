import type { CallBudget } from './budget.js';
import { MistClient } from './client.js';
import { MistHttp, type MistHttpOptions } from './http.js';
import type { MistApiSettings } from './settings.js';

/**
 * A client for the given settings. Pass the process's one CallBudget: every user of the API in
 * a process shares Mist's hourly limit through it.
 */
export function createMistClient(
  settings: Pick<MistApiSettings, 'token' | 'baseUrl'>,
  budget: CallBudget,
  options: Omit<MistHttpOptions, 'token' | 'baseUrl' | 'budget'> & { pageSize?: number } = {},
): MistClient {
  const { pageSize, ...http } = options;
  return new MistClient(new MistHttp({ ...http, token: settings.token, baseUrl: settings.baseUrl, budget }), pageSize);
}
