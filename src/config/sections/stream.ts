import { z } from 'zod';
import { type EnvParser, section, setting } from '../setting.js';
import { mistId } from './mist.js';

const positiveInt = z.number().int().positive();

const wsUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a URL` });
    return;
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') ctx.addIssue({ code: 'custom', message: `"${value}" must start with wss:// or ws://` });
});

// A per-site channel as Mist names it after /sites/{site_id}/: stats/devices, stats/clients, devices...
const channelKind = z
  .string()
  .transform((s) => s.trim().replace(/^\/+|\/+$/g, ''))
  .pipe(z.string().regex(/^[a-z0-9_]+(\/[a-z0-9_-]+)*$/, { message: 'expected a per-site channel such as stats/devices (the part after /sites/{site_id}/)' }));

const nullableList: EnvParser = (raw) =>
  raw.trim() === ''
    ? null
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);

/** Mist's WebSocket stream of device and client statistics (README "Device and client health"). */
export const stream = section(
  {
    enabled: setting(z.boolean().nullable(), null, {
      env: 'MIST_BRIDGE_STREAM',
      doc: 'stream device and client statistics; unset: on exactly when `mist.apiToken` is set',
    }),
    wsUrl: setting(wsUrl.nullable(), null, {
      env: 'MIST_WS_URL',
      doc: 'the stream URL; unset: derived from `mist.apiUrl` (`api.` → `api-ws.`, path `/api-ws/v1/stream`)',
    }),
    siteIds: setting(z.array(mistId).min(1).nullable(), null, {
      env: 'MIST_SITE_IDS',
      fromEnv: nullableList,
      doc: 'the sites to stream (comma-separated); unset: every site of the org, listed again every `stream.sitesRefreshMs`',
    }),
    sitesRefreshMs: setting(positiveInt, 600_000, {
      env: 'MIST_STREAM_SITES_REFRESH_MS',
      doc: "how often the org's sites are listed again (new sites subscribed, removed ones unsubscribed)",
    }),
    sitesRetryMs: setting(positiveInt, 60_000, { doc: 'how soon a failed site listing is tried again' }),
    channels: setting(z.array(channelKind).min(1), ['stats/devices', 'stats/clients'], {
      env: 'MIST_STREAM_CHANNELS',
      doc: 'the per-site channels subscribed (comma-separated)',
    }),
    idleTimeoutMs: setting(positiveInt, 90_000, {
      env: 'MIST_STREAM_IDLE_TIMEOUT_MS',
      doc: 'no message and no pong for this long means the connection is dead (and is replaced)',
    }),
    deviceTtlMs: setting(positiveInt, 600_000, {
      env: 'MIST_STREAM_DEVICE_TTL_MS',
      doc: 'series of a device not heard from for this long stop being exported',
    }),
    pingIntervalMs: setting(positiveInt, 30_000, { doc: 'how often the bridge pings the server; shorter than `stream.idleTimeoutMs`' }),
    maxChannelsPerConnection: setting(positiveInt.max(2_000), 1_000, {
      doc: "channels on one connection (more connections beyond); Mist's own SDK refuses more than 2,000",
    }),
    connectTimeoutMs: setting(positiveInt, 30_000, { doc: 'how long opening a connection may take' }),
    reconnectInitialMs: setting(positiveInt, 1_000, { doc: 'first wait before reconnecting (jittered, doubling up to `stream.reconnectMaxMs`)' }),
    reconnectMaxMs: setting(positiveInt, 60_000, { doc: 'longest wait between reconnections' }),
    authFailureRetryMs: setting(positiveInt, 300_000, {
      doc: 'least wait after the server refuses the token (401/403): a wrong token is fixed by a person, not by retrying',
    }),
    rateLimitRetryMs: setting(positiveInt, 30_000, { doc: 'least wait after a 429 on the upgrade (longer if the server says so)' }),
    subscribeTimeoutMs: setting(positiveInt, 30_000, { doc: 'a subscription neither acknowledged nor refused within this time counts as failed' }),
    subscribeRetryMs: setting(positiveInt, 60_000, { doc: 'first retry of a failed subscription (backing off up to `stream.subscribeRetryMaxMs`)' }),
    subscribeRetryMaxMs: setting(positiveInt, 600_000, { doc: 'longest wait between retries of a failed subscription' }),
  },
  {
    doc: "Mist's WebSocket stream",
    rules: [
      {
        keys: ['pingIntervalMs', 'idleTimeoutMs'],
        check: (s) =>
          s.pingIntervalMs < s.idleTimeoutMs
            ? undefined
            : `stream.pingIntervalMs (${s.pingIntervalMs}) must be shorter than stream.idleTimeoutMs (${s.idleTimeoutMs}), or a quiet connection is declared dead between two pings`,
      },
      {
        keys: ['reconnectInitialMs', 'reconnectMaxMs'],
        check: (s) =>
          s.reconnectInitialMs <= s.reconnectMaxMs
            ? undefined
            : `stream.reconnectInitialMs (${s.reconnectInitialMs}) must not exceed stream.reconnectMaxMs (${s.reconnectMaxMs})`,
      },
    ],
  },
);
