/**
 * The stream source's settings: the `stream` and `mist` sections of the configuration
 * (src/config/sections/stream.ts, mist.ts), with the stream URL derived and the token wrapped so
 * it never prints.
 */

import { loadConfig } from '../../config/load.js';
import type { BridgeConfig } from '../../config/schema.js';
import { deriveStreamUrl } from '../../mist-api/clouds.js';
import { Secret } from './secret.js';

export { DEFAULT_BASE_URL as DEFAULT_API_URL, deriveStreamUrl, STREAM_PATH } from '../../mist-api/clouds.js';

type StreamSection = BridgeConfig['stream'];

export type StreamSettings = Omit<StreamSection, 'enabled' | 'wsUrl'> & {
  enabled: boolean;
  token: Secret | null;
  apiUrl: string;
  orgId: string | null;
  wsUrl: string;
};

/** What the stream client needs, from a validated configuration (which has checked the URL and token). */
export function streamSettings(config: Pick<BridgeConfig, 'mist' | 'stream'>): StreamSettings {
  const { mist, stream } = config;
  return {
    ...stream,
    enabled: stream.enabled ?? mist.apiToken !== null,
    token: mist.apiToken === null ? null : new Secret(mist.apiToken),
    apiUrl: mist.apiUrl,
    orgId: mist.orgId,
    wsUrl: stream.wsUrl ?? deriveStreamUrl(mist.apiUrl) ?? '',
  };
}

/**
 * The stream settings of a bridge configured by `env` (no webhook source, so no secret is needed)
 * with `overrides` of the `stream` section (tests pass short timings there). Throws ConfigError.
 */
export function loadStreamSettings(env: NodeJS.ProcessEnv, overrides: Partial<StreamSection> = {}): StreamSettings {
  return streamSettings(loadConfig({ env: { MIST_BRIDGE_WEBHOOK: 'false', ...env }, overrides: { stream: overrides } }));
}
