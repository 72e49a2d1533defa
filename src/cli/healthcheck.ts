import type { BridgeConfig } from '../config/schema.js';

/** Below the image's HEALTHCHECK --timeout, so a hung bridge is reported by us, not killed by Docker. */
export const PROBE_TIMEOUT_MS = 2_500;

/** The URL of /healthz on the bridge that `server` configures, as seen from the same host. */
export function healthzUrl(server: Pick<BridgeConfig['server'], 'host' | 'port'>): string {
  const { host, port } = server;
  // A wildcard listens on loopback too; a specific address is probed where it listens.
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${target.includes(':') ? `[${target}]` : target}:${port}/healthz`;
}

export interface HealthcheckResult {
  ok: boolean;
  /** One line for `docker inspect`'s health log. */
  message: string;
}

/**
 * GET /healthz on the configured address: healthy on 200. The configuration is loaded the way
 * `start` loads it, so the probe follows a port set by variable, config file or default.
 */
export async function checkHealth(server: Pick<BridgeConfig['server'], 'host' | 'port'>): Promise<HealthcheckResult> {
  if (server.port === 0) return { ok: false, message: 'server.port is 0 (an ephemeral port): there is no fixed address to probe' };
  const url = healthzUrl(server);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.status === 200 ? { ok: true, message: `${url}: ${res.status}` } : { ok: false, message: `${url} answered ${res.status}` };
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    return { ok: false, message: `${url}: ${cause?.message ?? (err as Error).message}` };
  }
}
