import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { BridgeConfig } from './config/schema.js';
import { createExporters } from './export/exporters.js';
import { createIngress } from './ingress/app.js';
import { createLogger, type Logger } from './log/logger.js';
import { fallbackMapper } from './mapping/fallback.js';
import { Pipeline } from './pipeline.js';

export interface Bridge {
  /** Where the HTTP server listens (port resolved when 0 was asked for). */
  address: { host: string; port: number; url: string };
  pipeline: Pipeline;
  /** Stop accepting, export everything accepted, release the exporters. True when all was exported. */
  stop(): Promise<boolean>;
}

// Records waiting for export beyond which new deliveries get 503: bounds memory while the
// backend is slow or away.
const MAX_BACKLOG_RECORDS = 200_000;

export async function startBridge(config: BridgeConfig, log: Logger = createLogger(config.log.level)): Promise<Bridge> {
  const exporters = createExporters();
  const pipeline = new Pipeline(config, fallbackMapper, exporters, log);
  let ready = false;

  const app = createIngress({
    path: config.server.path,
    maxBodyBytes: config.server.maxBodyBytes,
    signature: config.security,
    log,
    isReady: () => ready,
    sink: {
      refusal: () =>
        pipeline.backlog >= MAX_BACKLOG_RECORDS
          ? { reason: 'the export backlog is full; the backend is slow or unreachable', retryAfterSeconds: 30 }
          : undefined,
      accept: (envelope, receivedNs) => pipeline.accept(envelope, receivedNs),
    },
  });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port }, () => resolve(s));
    s.once('error', reject);
  });
  const http = server as Server;
  http.headersTimeout = config.server.headersTimeoutMs;
  http.requestTimeout = config.server.requestTimeoutMs;
  http.keepAliveTimeout = config.server.keepAliveTimeoutMs;
  http.maxConnections = config.server.maxConnections;

  const { port } = http.address() as AddressInfo;
  const host = config.server.host;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  ready = true;
  log.info('listening', { host, port, path: config.server.path, protocols: exporters.protocols });
  if (config.security.secrets.length === 0) {
    log.warn('MIST_BRIDGE_ALLOW_UNSIGNED is set: deliveries are accepted without a signature; anyone who can reach this port can inject telemetry');
  }

  let stopping: Promise<boolean> | undefined;
  return {
    address: { host, port, url: `http://${urlHost}:${port}` },
    pipeline,
    stop() {
      stopping ??= (async () => {
        ready = false;
        const deadline = Date.now() + config.server.shutdownTimeoutMs;
        // close() waits for in-flight requests; idle keep-alive sockets are closed at once.
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        await closed;
        const flushed = await pipeline.shutdown(deadline);
        log.info('stopped', { flushed });
        return flushed;
      })();
      return stopping;
    },
  };
}
