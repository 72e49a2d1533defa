/**
 * Configuration of the WebSocket stream source: a zod fragment (with its defaults) meant to sit
 * under `stream:` in src/config/schema.ts, and the environment variables that overlay it. The
 * variable names are part of the interface (issue 13, README "Configuration").
 */
import { z } from 'zod';
import { boolean, envOverlay, integer, list, nullableText, text, type Parse } from '../../config/env.js';
import { ConfigError } from '../../config/load.js';
import { Secret } from './secret.js';

export const DEFAULT_API_URL = 'https://api.mist.com';
export const STREAM_PATH = '/api-ws/v1/stream';
export const DEFAULT_CHANNELS = ['stats/devices', 'stats/clients'];

const positiveInt = z.number().int().positive();

// Mist ids are 8-4-4-4-12 hex but not always RFC 4122 variants (device ids start 00000000-0000-0000-1000-…).
const mistId = z.guid({ message: 'expected a Mist id (8-4-4-4-12 hexadecimal)' });

function urlWithScheme(schemes: string[]) {
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a URL` });
      return;
    }
    if (!schemes.includes(url.protocol)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" must start with ${schemes.map((s) => `${s}//`).join(' or ')}` });
    }
  });
}

// A per-site channel as Mist names it after /sites/{site_id}/: stats/devices, stats/clients, devices...
const channelKind = z
  .string()
  .transform((s) => s.trim().replace(/^\/+|\/+$/g, ''))
  .pipe(
    z
      .string()
      .regex(/^[a-z0-9_]+(\/[a-z0-9_-]+)*$/, {
        message: 'expected a per-site channel such as stats/devices (the part after /sites/{site_id}/)',
      }),
  );

const streamFields = z
  .object({
    /** null: on exactly when a token is set. */
    enabled: z.boolean().nullable().default(null),
    token: z.string().min(1, { message: 'an empty token is not a token' }).nullable().default(null),
    /** Mist's REST base; the stream URL is derived from its host unless wsUrl is given. */
    apiUrl: urlWithScheme(['https:', 'http:']).default(DEFAULT_API_URL),
    wsUrl: urlWithScheme(['wss:', 'ws:']).nullable().default(null),
    orgId: mistId.nullable().default(null),
    /** null: every site of the org, re-listed every sitesRefreshMs. */
    siteIds: z.array(mistId).min(1).nullable().default(null),
    sitesRefreshMs: positiveInt.default(600_000),
    /** How soon a failed site listing is tried again (never later than sitesRefreshMs). */
    sitesRetryMs: positiveInt.default(60_000),
    channels: z.array(channelKind).min(1).default(DEFAULT_CHANNELS),
    /** No message and no pong for this long: the connection is dead. */
    idleTimeoutMs: positiveInt.default(90_000),
    pingIntervalMs: positiveInt.default(30_000),
    /** Mist's Python SDK refuses more than 2,000 per connection; stay well under. */
    maxChannelsPerConnection: positiveInt.max(2_000).default(1_000),
    connectTimeoutMs: positiveInt.default(30_000),
    reconnectInitialMs: positiveInt.default(1_000),
    reconnectMaxMs: positiveInt.default(60_000),
    /** Least wait after a 401/403 on the upgrade: a wrong token is fixed by a person, not by retrying. */
    authFailureRetryMs: positiveInt.default(300_000),
    /** Least wait after a 429 on the upgrade (more if the server's Retry-After says so). */
    rateLimitRetryMs: positiveInt.default(30_000),
    /** A subscription neither acknowledged nor refused within this time counts as failed. */
    subscribeTimeoutMs: positiveInt.default(30_000),
    /** First retry of a failed subscription; later ones back off up to subscribeRetryMaxMs. */
    subscribeRetryMs: positiveInt.default(60_000),
    subscribeRetryMaxMs: positiveInt.default(600_000),
  })
  .strict();

export type StreamSettings = Omit<z.output<typeof streamFields>, 'enabled' | 'token' | 'wsUrl'> & {
  enabled: boolean;
  token: Secret | null;
  wsUrl: string;
};

/** The stream URL Mist serves beside a REST host: api.eu.mist.com → wss://api-ws.eu.mist.com/api-ws/v1/stream. */
export function deriveStreamUrl(apiUrl: string): string | null {
  const rest = new URL(apiUrl);
  if (!rest.hostname.startsWith('api.')) return null;
  const ws = new URL(STREAM_PATH, rest);
  ws.protocol = rest.protocol === 'http:' ? 'ws:' : 'wss:';
  ws.hostname = `api-ws.${rest.hostname.slice('api.'.length)}`;
  return ws.toString();
}

/** The `stream:` section of the configuration: defaults, validation and the derived values. */
export const streamConfigSchema = streamFields.transform((fields, ctx): StreamSettings => {
  const enabled = fields.enabled ?? fields.token !== null;
  if (enabled && fields.token === null) {
    ctx.issues.push({
      code: 'custom',
      path: ['token'],
      input: fields.token,
      message: 'the stream is enabled but no API token is set: set MIST_API_TOKEN, or MIST_BRIDGE_STREAM=false',
    });
  }
  const wsUrl = fields.wsUrl ?? deriveStreamUrl(fields.apiUrl);
  if (enabled && wsUrl === null) {
    ctx.issues.push({
      code: 'custom',
      path: ['wsUrl'],
      input: fields.apiUrl,
      message: `cannot derive the stream URL from "${fields.apiUrl}" (its host does not start with "api."): set MIST_WS_URL`,
    });
  }
  if (fields.pingIntervalMs >= fields.idleTimeoutMs) {
    ctx.issues.push({
      code: 'custom',
      path: ['pingIntervalMs'],
      input: fields.pingIntervalMs,
      message: `must be shorter than idleTimeoutMs (${fields.idleTimeoutMs}), or a quiet connection is declared dead between two pings`,
    });
  }
  if (fields.reconnectInitialMs > fields.reconnectMaxMs) {
    ctx.issues.push({
      code: 'custom',
      path: ['reconnectInitialMs'],
      input: fields.reconnectInitialMs,
      message: `must not exceed reconnectMaxMs (${fields.reconnectMaxMs})`,
    });
  }
  return {
    ...fields,
    enabled,
    token: fields.token === null ? null : new Secret(fields.token),
    wsUrl: wsUrl ?? '',
  };
});

const nullableList: Parse = (raw) => (raw.trim() === '' ? null : list(raw));

/** variable → [config path, parser]; the lead merges these into src/config/env.ts. */
export const STREAM_ENV_VARIABLES: Record<string, [path: string, parse: Parse]> = {
  MIST_API_TOKEN: ['stream.token', nullableText],
  MIST_BRIDGE_STREAM: ['stream.enabled', boolean],
  MIST_API_URL: ['stream.apiUrl', text],
  MIST_WS_URL: ['stream.wsUrl', nullableText],
  MIST_ORG_ID: ['stream.orgId', nullableText],
  MIST_SITE_IDS: ['stream.siteIds', nullableList],
  MIST_STREAM_SITES_REFRESH_MS: ['stream.sitesRefreshMs', integer],
  MIST_STREAM_CHANNELS: ['stream.channels', list],
  MIST_STREAM_IDLE_TIMEOUT_MS: ['stream.idleTimeoutMs', integer],
};

/**
 * The stream settings from the environment, over the defaults and under `overrides` (tests pass
 * short timings there). Throws ConfigError naming the variable or key; never the token.
 */
export function loadStreamSettings(env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}): StreamSettings {
  const overlay = envOverlay(env, (msg) => new ConfigError(msg), STREAM_ENV_VARIABLES);
  const section = { ...((overlay.stream as Record<string, unknown> | undefined) ?? {}), ...overrides };
  const parsed = streamConfigSchema.safeParse(section);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `stream.${issue.path.join('.') || '(section)'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration\n${lines.join('\n')}`);
  }
  return parsed.data;
}
