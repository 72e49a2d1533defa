import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { BridgeConfig } from './config/schema.js';
import { resolveOtlp } from './config/sections/otlp.js';
import { listenError, prepareDataDir } from './config/startup.js';
import { EventDeduplicator } from './dedup/window.js';
import { DurableIntake } from './durability/intake.js';
import { Journal } from './durability/journal.js';
import { createExporters } from './export/exporters.js';
import { createIngress } from './ingress/app.js';
import { closeSilentSockets } from './ingress/silent-sockets.js';
import { createLogger, type Logger } from './log/logger.js';
import { loadMappings } from './mapping/loader.js';
import { Pipeline } from './pipeline.js';
import { renderPrometheus } from './self/prometheus.js';
import { createSelfTelemetry } from './self/telemetry.js';
import { SessionTracker } from './sessions/tracker.js';
import { createMetricRecorder } from './signals/metrics.js';
import { DrivenMetricReader } from './signals/providers.js';

export interface Bridge {
  /** Where the HTTP server listens (port resolved when 0 was asked for). */
  address: { host: string; port: number; url: string };
  pipeline: Pipeline;
  /** Deduplication, the durable journal and its replay, in front of the pipeline. */
  intake: DurableIntake;
  journal: Journal;
  /** Stop accepting, export everything accepted, release the exporters. True when all was exported. */
  stop(): Promise<boolean>;
}

export async function startBridge(config: BridgeConfig, log: Logger = createLogger(config.log.level)): Promise<Bridge> {
  // Built-in mappings plus the user's directory; a bad file stops start-up (MappingError).
  const mappings = loadMappings({ customDir: config.mappings.dir });
  // Opened first: a directory locked by another running bridge stops start-up here.
  prepareDataDir(config);
  const journal = new Journal(config.durability);
  const exporters = createExporters(resolveOtlp(config.otlp));
  const selfReader = new DrivenMetricReader();
  const pipeline = new Pipeline(config, mappings.engine, exporters, log, [selfReader]);
  pipeline.metrics = createMetricRecorder(pipeline.signals.meter, mappings.metrics, pipeline.gauges);
  let sessionSweep: NodeJS.Timeout | undefined;
  if (config.sessions.enabled) {
    const sessions = new SessionTracker(pipeline.signals.spans, config.sessions, log);
    pipeline.sessions = sessions;
    // The final sweep runs in pipeline.shutdown(), after mapping stops and before the flush.
    sessionSweep = setInterval(() => sessions.sweep(false), config.sessions.sweepIntervalMs);
    sessionSweep.unref();
  }
  const dedup = new EventDeduplicator(config.dedup);
  const telemetry = createSelfTelemetry(pipeline.signals.selfMeter, {
    journalDeliveries: () => journal.count,
    journalBytes: () => journal.bytes,
    queuedRecords: (signal) => pipeline.queued(signal),
    dedupEntries: () => dedup.size,
    exportFailingSeconds: (signal) => pipeline.health.failingSeconds(signal),
  });
  pipeline.telemetry = telemetry;
  const intake = new DurableIntake({ journal, dedup, pipeline, maxQueuedRecords: config.durability.maxQueuedRecords, telemetry, log });
  let ready = false;

  const app = createIngress({
    path: config.server.path,
    maxBodyBytes: config.server.maxBodyBytes,
    signature: config.security,
    log,
    isReady: () => ready,
    sink: intake,
    observer: telemetry,
    metricsText: () => renderPrometheus(selfReader),
    maxInflightBodyBytes: config.server.maxInflightBodyBytes,
  });

  const server = await new Promise<ServerType>((resolve, reject) => {
    const { headersTimeoutMs, requestTimeoutMs } = config.server;
    const serverOptions = {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node checks those two timeouts only this often (30 s by default), so a limit of a few
      // seconds would otherwise hold a slow client for up to 30 s more.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
    };
    const s = serve({ fetch: app.fetch, hostname: config.server.host, port: config.server.port, serverOptions }, () => resolve(s));
    s.once('error', (err) => reject(listenError(err, config)));
  });
  const http = server as Server;
  http.headersTimeout = config.server.headersTimeoutMs;
  http.requestTimeout = config.server.requestTimeoutMs;
  http.keepAliveTimeout = config.server.keepAliveTimeoutMs;
  http.maxConnections = config.server.maxConnections;
  closeSilentSockets(http, config.server.idleSocketTimeoutMs);

  const { port } = http.address() as AddressInfo;
  const host = config.server.host;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  ready = true;
  log.info('listening', { host, port, path: config.server.path, protocols: exporters.protocols });
  if (!journal.durable) {
    log.warn('durability.dir is not set (MIST_BRIDGE_DATA_DIR): accepted deliveries are kept in memory only and a crash loses what was not exported yet');
  }
  if (config.security.secrets.length === 0) {
    log.warn('MIST_BRIDGE_ALLOW_UNSIGNED is set: deliveries are accepted without a signature; anyone who can reach this port can inject telemetry');
  }

  let stopping: Promise<boolean> | undefined;
  return {
    address: { host, port, url: `http://${urlHost}:${port}` },
    pipeline,
    intake,
    journal,
    stop() {
      stopping ??= (async () => {
        ready = false;
        clearInterval(sessionSweep);
        const deadline = Date.now() + config.server.shutdownTimeoutMs;
        // close() waits for in-flight requests; idle keep-alive sockets are closed at once.
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        // A client still trickling a request when half the shutdown time is gone is cut off: it
        // was not acknowledged, and the flush needs the rest.
        const cutOff = setTimeout(() => http.closeAllConnections(), Math.max(0, (deadline - Date.now()) / 2));
        await closed;
        clearTimeout(cutOff);
        const { flushed, keptDeliveries } = await intake.shutdown(deadline);
        if (keptDeliveries > 0 && journal.durable) {
          log.warn('deliveries not exported yet stay in the journal and are exported at the next start', { deliveries: keptDeliveries, file: journal.file });
        } else if (keptDeliveries > 0) {
          telemetry.dropped('delivery', 'not_exported_at_shutdown', keptDeliveries);
          log.error('deliveries not exported are lost: durability.dir is not set', { deliveries: keptDeliveries });
        }
        log.info('stopped', { flushed });
        return flushed || journal.durable;
      })();
      return stopping;
    },
  };
}
