import type { Meter } from '@opentelemetry/api';
import type { Hono } from 'hono';
import type { BridgeConfig } from './config/schema.js';
import { resolveOtlp } from './config/sections/otlp.js';
import { listenError, prepareDataDir } from './config/startup.js';
import { DedupStage, SourceWindows } from './dedup/stage.js';
import { EventDeduplicator } from './dedup/window.js';
import { Journal } from './durability/journal.js';
import { DurableStage } from './durability/stage.js';
import { announceExporters, createExporters, type Exporters } from './export/exporters.js';
import { PrometheusMetricsEndpoint } from './export/prometheus-reader.js';
import { createHttpApp } from './http/app.js';
import { type HttpServer, listen } from './http/server.js';
import { createInspectPage, type Inspector } from './inspect/index.js';
import { createLogger, type Logger } from './log/logger.js';
import { loadMappings } from './mapping/loader.js';
import { CallBudget, type PlannedUse } from './mist-api/budget.js';
import type { MistClient } from './mist-api/client.js';
import { createMistClient } from './mist-api/create.js';
import { observeMistApi } from './mist-api/telemetry.js';
import { createProcessingStages } from './processing-stages.js';
import { renderPrometheus } from './self/prometheus.js';
import { observeSelfState } from './self/telemetry.js';
import { DrivenMetricReader } from './signals/providers.js';
import type { BatchConsumer, Source } from './sources/contract.js';
import { sleSettings } from './sources/sle/settings.js';
import { SleSource } from './sources/sle/source.js';
import { SleState } from './sources/sle/state.js';
import { observeSle } from './sources/sle/telemetry.js';
import { type StreamSettings, streamSettings } from './sources/stream/config.js';
import { StreamSource } from './sources/stream/source.js';
import { observeStreamCounters } from './sources/stream/telemetry.js';
import { ENVELOPE_CODEC } from './sources/webhook/codec.js';
import { WebhookSource } from './sources/webhook/source.js';

export interface Bridge {
  /** Where the HTTP server listens (port resolved when 0 was asked for). */
  address: HttpServer['address'];
  /** The journal of what sources acknowledged, and the stage that keeps and replays it. */
  journal: Journal;
  durability: DurableStage;
  /** Stop the sources, export everything taken, release the exporters. True when all was exported. */
  stop(): Promise<boolean>;
}

/** What a caller may build instead of the bridge (tests: in-memory exporters). */
export interface BridgeParts {
  exporters?: Exporters;
}

/**
 * The composition root: every stage built whole, each given the next one, in the order data
 * flows — sources → deduplication → durability → processing (mapping, sessions) → signals →
 * export. Start-up and shutdown are sequenced here, not by any stage.
 */
export async function startBridge(config: BridgeConfig, log: Logger = createLogger(config.log.level), parts: BridgeParts = {}): Promise<Bridge> {
  // Built-in mappings plus the user's directory; a bad file stops start-up (MappingError).
  const mappings = loadMappings({ customDir: config.mappings.dir, subjectTtlMs: { 'stream:stats/devices': config.stream.deviceTtlMs } });
  // Opened first: a directory locked by another running bridge stops start-up here.
  prepareDataDir(config);
  // Only webhook deliveries are appended; without the webhook source the journal replays what an earlier run left.
  const journal = new Journal({ ...config.durability, log, appending: config.webhook.enabled });
  const exporters = parts.exporters ?? createExporters(resolveOtlp(config.otlp), config.exporters);

  // export ← signals ← processing; the self-telemetry reader serves GET /metrics.
  const selfReader = new DrivenMetricReader();
  const stages = await createProcessingStages({ config, mappings, exporters, log, extraReaders: [selfReader] });
  const { processor, sessions, records, metricsExport, health, telemetry, selfMeter } = stages;
  const sessionSweep = sessions && setInterval(() => sessions.sweep(false), config.sessions.sweepIntervalMs);
  sessionSweep?.unref();

  // The inspector page, when on: told by the sources what arrives and by processing what it became.
  const page = createInspectPage(config.inspect);

  // durability ← deduplication ← sources
  const windows = new SourceWindows(new Map([['webhook', new EventDeduplicator(config.dedup)]]));
  const durability = new DurableStage({
    journal,
    next: processor,
    codecs: [ENVELOPE_CODEC],
    backlog: () => records.backlog,
    maxQueuedRecords: config.durability.maxQueuedRecords,
    replayed: (batch) => windows.remember(batch),
    telemetry,
    log,
    ...(page && { watch: (batch, journaled) => page.fromJournal(batch, journaled.body, journaled.afterRestart) }),
  });
  const dedup = new DedupStage(windows, durability);
  observeSelfState(selfMeter, {
    journalDeliveries: () => journal.count,
    journalBytes: () => journal.bytes,
    journalLimitBytes: () => config.durability.maxBytes,
    journalHealth: () => journal.healthReport(),
    queuedRecords: (signal) => records.queued(signal),
    dedupEntries: () => windows.size,
    exportFailingSeconds: (signal) => health.failingSeconds(signal),
  });
  const webhook = config.webhook.enabled
    ? new WebhookSource({
        path: config.server.path,
        maxBodyBytes: config.server.maxBodyBytes,
        maxInflightBodyBytes: config.server.maxInflightBodyBytes,
        signature: config.security,
        next: dedup,
        log,
        observer: {
          delivery: (status) => telemetry.delivery(status),
          signatureFailure: (reason) => telemetry.signatureFailure(reason),
          events: (topic, accepted, duplicates) => telemetry.events(topic, accepted, duplicates, 0),
        },
        ...(page && { inspector: page.inspector }),
      })
    : undefined;
  // Mist's REST API: one client and one hourly call budget for the process, planned as a whole.
  const mist = mistApi(config, selfMeter, log);
  const stream = mist && streamSource(config, mist.client, processor, page?.inspector, log);
  if (stream) observeStreamCounters(selfMeter, stream.source.client.counters);
  const sle = mist && sleSource(config, mist, stream?.plans ?? [], processor, () => health.snapshot().metrics.ok, log);
  if (sle) observeSle(selfMeter, sle);
  mist?.budget.validate([...(stream?.plans ?? []), ...(sle?.plans() ?? [])]);
  const sources: Source[] = [...(webhook ? [webhook] : []), ...(stream ? [stream.source] : []), ...(sle ? [sle] : [])];

  let stopping = false;
  const app = createHttpApp({
    // A load balancer in front of the webhook port asks /readyz: only the webhook source decides it.
    // The stream's state is in the body (and in /metrics), since taking it out of rotation fixes nothing.
    readiness: () => ({
      ready: !stopping && (webhook?.ready() ?? true),
      detail: { sources: Object.fromEntries(sources.map((s) => [s.name, s.ready()])), export: health.snapshot(), journal: durability.state() },
    }),
    metricsText: () => renderPrometheus(selfReader),
    mounts: [...(webhook ? [webhook.app as unknown as Hono] : []), ...(page ? [page.app] : [])],
    log,
  });
  let server: HttpServer;
  try {
    server = await listen(app, config.server);
  } catch (err) {
    throw listenError(err as Error, config);
  }
  for (const source of sources) await source.start();
  durability.start();

  // Before "listening", which tells whoever waits for the bridge that start-up is done.
  announceExporters(exporters, log, metricsExport instanceof PrometheusMetricsEndpoint ? metricsExport.url : undefined);
  log.info('listening', { host: server.address.host, port: server.address.port, path: config.server.path, protocols: exporters.protocols });
  if (page) process.stderr.write(page.startLine(server.address.url) + '\n');
  // Only webhook deliveries are journaled: a stream-only bridge has nothing to keep there.
  if (!journal.durable && webhook) {
    log.warn('durability.dir is not set (MIST_BRIDGE_DATA_DIR): accepted deliveries are kept in memory only and a crash loses what was not exported yet');
  }
  if (webhook && config.security.secrets.length === 0) {
    log.warn('MIST_BRIDGE_ALLOW_UNSIGNED is set: deliveries are accepted without a signature; anyone who can reach this port can inject telemetry');
  }

  let stopped: Promise<boolean> | undefined;
  return {
    address: server.address,
    journal,
    durability,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearInterval(sessionSweep);
        const deadline = Date.now() + config.server.shutdownTimeoutMs;
        // Sources first: nothing new is taken while what was taken is exported.
        await Promise.all(sources.map((s) => s.stop(deadline)));
        page?.close();
        await server.close(deadline);
        await durability.stopReplay();
        const { flushed, unexported } = await stages.stop(deadline);
        const kept = await durability.close();
        if (kept > 0 && journal.durable) {
          log.warn('deliveries not exported yet stay in the journal and are exported at the next start', {
            deliveries: kept,
            records: unexported,
            file: journal.file,
          });
        } else if (kept > 0) {
          telemetry.dropped('delivery', 'not_exported_at_shutdown', kept);
          log.error('deliveries not exported are lost: durability.dir is not set', { deliveries: kept });
        }
        log.info('stopped', { flushed });
        return flushed || journal.durable;
      })();
      return stopped;
    },
  };
}

/** The process's Mist API client and call budget, when a token is set. */
function mistApi(config: BridgeConfig, meter: Meter, log: Logger): { client: MistClient; budget: CallBudget } | undefined {
  if (config.mist.apiToken === null) return undefined;
  const budget = new CallBudget({
    share: config.mist.budgetShare,
    onWait: (until) =>
      log.warn("Mist API calls wait for the next hour: this process has used its share of the token's calls", { until: new Date(until).toISOString() }),
  });
  const client = createMistClient({ token: config.mist.apiToken, baseUrl: config.mist.apiUrl }, budget, {
    onRetry: (notice) => log.warn('Mist API call retried', { ...notice }),
    onAnswer: observeMistApi(meter, budget),
  });
  return { client, budget };
}

/**
 * The WebSocket stream source, when it is on (a Mist API token, and not MIST_BRIDGE_STREAM=false),
 * with the calls its site listing plans.
 */
function streamSource(
  config: BridgeConfig,
  api: MistClient,
  next: BatchConsumer,
  inspector: Inspector | undefined,
  log: Logger,
): { source: StreamSource; plans: PlannedUse[] } | undefined {
  const settings = streamSettings(config);
  if (!settings.enabled || settings.token === null) return undefined;
  return { source: new StreamSource({ settings, api, next, ...(inspector && { inspector }), log }), plans: [streamPlan(settings)] };
}

function streamPlan(settings: StreamSettings): PlannedUse {
  const listingsPerHour = settings.siteIds === null ? Math.ceil(3_600_000 / settings.sitesRefreshMs) : 0;
  return { name: 'stream site discovery', callsPerHour: listingsPerHour, how: `a listing every ${settings.sitesRefreshMs / 1000} s (one call per 100 sites)` };
}

/**
 * The SLE poller, when it is on (a Mist API token, and not MIST_BRIDGE_SLE=false). Its state
 * (the buckets exported) is in the data directory, so a restart neither repeats nor misses a
 * bucket; `accepting` keeps new buckets at Mist while the metric export fails.
 */
function sleSource(
  config: BridgeConfig,
  mist: { client: MistClient; budget: CallBudget },
  otherPlans: readonly PlannedUse[],
  next: BatchConsumer,
  accepting: () => boolean,
  log: Logger,
): SleSource | undefined {
  const settings = sleSettings(config);
  if (!settings.enabled) return undefined;
  const state = SleState.open(settings.dataDir, log);
  return new SleSource({ settings, api: mist.client, budget: mist.budget, otherPlans, state, next, accepting, log });
}
