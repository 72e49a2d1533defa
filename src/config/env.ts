/**
 * Environment variables that overlay the configuration. The names are part of the interface
 * (README "Configuration"); the OTLP exporter variables (endpoint, headers, protocol,
 * compression, resource) are read by src/export and src/signals, not here.
 */

export type Parse = (raw: string) => unknown;

export const text: Parse = (raw) => raw;

export const integer: Parse = (raw) => {
  const trimmed = raw.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new Error(`expected an integer, got "${raw}"`);
  return Number(trimmed);
};

export const boolean: Parse = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  throw new Error(`expected true or false, got "${raw}"`);
};

export const list: Parse = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export const nullableText: Parse = (raw) => (raw.trim() === '' ? null : raw);

/** variable → [config path, parser] */
export const ENV_VARIABLES: Record<string, [path: string, parse: Parse]> = {
  MIST_WEBHOOK_SECRET: ['security.secrets', list],
  MIST_BRIDGE_ALLOW_UNSIGNED: ['security.allowUnsigned', boolean],
  MIST_BRIDGE_ALLOW_SHA1: ['security.allowSha1', boolean],
  MIST_BRIDGE_HOST: ['server.host', text],
  MIST_BRIDGE_PORT: ['server.port', integer],
  MIST_BRIDGE_PATH: ['server.path', text],
  MIST_BRIDGE_MAX_BODY_BYTES: ['server.maxBodyBytes', integer],
  MIST_BRIDGE_IDLE_SOCKET_TIMEOUT_MS: ['server.idleSocketTimeoutMs', integer],
  MIST_BRIDGE_MAPPINGS_DIR: ['mappings.dir', nullableText],
  MIST_BRIDGE_LOG_LEVEL: ['log.level', text],
  MIST_BRIDGE_SESSIONS: ['sessions.enabled', boolean],
  MIST_BRIDGE_SESSIONS_MAX: ['sessions.maxSessions', integer],
  MIST_BRIDGE_SESSIONS_MAX_AGE_MS: ['sessions.maxAgeMs', integer],
  MIST_BRIDGE_SESSIONS_SETTLE_MS: ['sessions.settleMs', integer],
  MIST_BRIDGE_DATA_DIR: ['durability.dir', nullableText],
  MIST_BRIDGE_DATA_MAX_BYTES: ['durability.maxBytes', integer],
  MIST_BRIDGE_DATA_SYNC: ['durability.synchronous', text],
  MIST_BRIDGE_DEDUP_WINDOW: ['dedup.windowSeconds', integer],
  OTEL_METRIC_EXPORT_INTERVAL: ['export.metricsIntervalMs', integer],
  OTEL_BLRP_SCHEDULE_DELAY: ['export.logsScheduleDelayMs', integer],
  OTEL_BSP_SCHEDULE_DELAY: ['export.spansScheduleDelayMs', integer],
};

export function envOverlay(
  env: NodeJS.ProcessEnv,
  fail: (message: string) => Error,
  variables: Record<string, [path: string, parse: Parse]> = ENV_VARIABLES,
): Record<string, unknown> {
  const overlay: Record<string, unknown> = {};
  for (const [name, [path, parse]] of Object.entries(variables)) {
    const raw = env[name];
    if (raw === undefined) continue;
    let value: unknown;
    try {
      value = parse(raw);
    } catch (err) {
      throw fail(`${name} (${path}): ${(err as Error).message}`);
    }
    const keys = path.split('.');
    let node = overlay;
    for (const key of keys.slice(0, -1)) {
      node = (node[key] ??= {}) as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  }
  return overlay;
}
