import type { Meter } from '@opentelemetry/api';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { BridgeConfig } from './config/schema.js';
import { countingDiscards, type Exporters, isPull, metricTemporality } from './export/exporters.js';
import { ExportHealth } from './export/health.js';
import { beforeDeadline, MetricsExport } from './export/metrics-export.js';
import { PrometheusMetricsEndpoint } from './export/prometheus-reader.js';
import { RecordExport } from './export/records.js';
import type { Logger } from './log/logger.js';
import type { LoadedMappings } from './mapping/loader.js';
import { Processor } from './processing/processor.js';
import { createSelfTelemetry, type SelfTelemetry } from './self/telemetry.js';
import { SessionTracker } from './sessions/tracker.js';
import { createMetricRecorder, EventTimeGauges, MAX_SERIES } from './signals/metrics.js';
import { buildResource, createEmitters, createMeters } from './signals/providers.js';
import { observeSubjectMetrics, SubjectMetrics } from './signals/subject-metrics.js';

export interface ProcessingStagesParts {
  config: Pick<BridgeConfig, 'resource' | 'export' | 'sessions'>;
  mappings: LoadedMappings;
  exporters: Exporters;
  log: Logger;
  /** Further readers of every instrument (the bridge's `GET /metrics`). */
  extraReaders?: MetricReader[];
  /**
   * Epoch ns, for everything that takes a clock: the session tracker, the event-time gauges, the
   * subjects of stream metrics. The wall clock when not given; a test gives one it moves.
   */
  clockNs?: () => bigint;
}

export interface ProcessingStages {
  /** The next stage of whoever hands on batches (durability, or a source directly). */
  processor: Processor;
  /** Session tracing when on: the caller sweeps it periodically (`sweep(false)`). */
  sessions: SessionTracker | undefined;
  /** The log and span export queues. */
  records: RecordExport;
  /** Metrics pushed by the export loop, or served for scraping (`OTEL_METRICS_EXPORTER=prometheus`). */
  metricsExport: MetricsExport | PrometheusMetricsEndpoint;
  health: ExportHealth;
  /** The bridge's counters about itself, for the stages before these to move too. */
  telemetry: SelfTelemetry;
  /** The meter of what the bridge reports about itself. */
  selfMeter: Meter;
  /**
   * What a clean stop does once nothing new reaches the processor: the final session sweep, every
   * record and one metric collection exported by `deadline` (epoch ms), then the exporters shut
   * down. `flushed`: all was exported; `unexported`: records still queued.
   */
  stop(deadline: number): Promise<{ flushed: boolean; unexported: number }>;
}

/**
 * The stages a batch goes through once it is handed on: processing (mapping, sessions) → signals
 * (SDK records, instruments, producers) → export, each built whole and given the next.
 */
export async function createProcessingStages(parts: ProcessingStagesParts): Promise<ProcessingStages> {
  const { config, mappings, exporters, log, clockNs } = parts;
  const resource = buildResource(config.resource);
  const gauges = new EventTimeGauges(clockNs);
  const temporality = metricTemporality(exporters);
  const subjects = new SubjectMetrics({ temporality, ...(clockNs && { now: clockNs }) });
  const meters = createMeters(resource, {
    readerOptions: {
      aggregationTemporalitySelector: temporality,
      // Pushed, the subjects' points go out a part at a time (MetricsExport); a scrape takes them whole.
      metricProducers: isPull(exporters.metrics) ? [gauges, subjects] : [gauges],
      cardinalitySelector: () => MAX_SERIES,
    },
    extraReaders: parts.extraReaders ?? [],
  });
  const health = new ExportHealth(log);
  const telemetry = createSelfTelemetry(meters.selfMeter);
  const exportTelemetry = countingDiscards(exporters, telemetry);
  observeSubjectMetrics(meters.selfMeter, subjects);

  // export ← signals
  const records = new RecordExport(exporters, config.export, health, exportTelemetry, log);
  const emitters = createEmitters(resource, records);
  const recorder = createMetricRecorder(meters.meter, mappings.metrics, gauges, subjects);
  const beforeCollect = () => recorder.flush();
  const afterExport = (delivered: boolean) => gauges.collected(delivered);
  const metricsExport = isPull(exporters.metrics)
    ? await PrometheusMetricsEndpoint.start(exporters.metrics, meters.metricReader, beforeCollect, afterExport, health, exportTelemetry, log)
    : new MetricsExport(
        exporters.metrics,
        meters.metricReader,
        [subjects],
        beforeCollect,
        afterExport,
        { intervalMs: config.export.metricsIntervalMs, maxPointsPerRequest: config.export.maxMetricPointsPerRequest },
        health,
        exportTelemetry,
        log,
      );

  // processing
  // The tracker counts in ms; given no clock it keeps its own (Date.now), sparing a BigInt division per event.
  const sessionClock = clockNs && (() => Number(clockNs() / 1_000_000n));
  const sessions = config.sessions.enabled ? new SessionTracker(emitters.spans, config.sessions, log, sessionClock) : undefined;
  const processor = new Processor({
    mapper: mappings.engine,
    logs: emitters.logs,
    metrics: recorder,
    metricsContributed: (ack) => metricsExport.contributed(ack),
    sessions,
    unmapped: (batch, count) => telemetry.events(batch.kind, 0, 0, count),
    log,
  });

  return {
    processor,
    sessions,
    records,
    metricsExport,
    health,
    telemetry,
    selfMeter: meters.selfMeter,
    async stop(deadline) {
      // Processing has stopped: session spans that can be completed now are queued before the flush.
      sessions?.sweep(true);
      const [recordsFlushed, metricsFlushed] = await Promise.all([records.flush(deadline), metricsExport.flush(deadline)]);
      const unexported = records.stop();
      await Promise.all([
        metricsExport.shutdown(deadline),
        beforeDeadline(Promise.allSettled([meters.shutdown(), exporters.logs.shutdown(), exporters.traces.shutdown()]), deadline, undefined),
      ]);
      return { flushed: recordsFlushed && metricsFlushed, unexported };
    },
  };
}
