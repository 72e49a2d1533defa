import { loadConfig } from '../../src/config/load.js';
import { countingDiscards, metricTemporality } from '../../src/export/exporters.js';
import { ExportHealth } from '../../src/export/health.js';
import { MetricsExport } from '../../src/export/metrics-export.js';
import { RecordExport } from '../../src/export/records.js';
import { createLogger } from '../../src/log/logger.js';
import { loadMappings } from '../../src/mapping/loader.js';
import { Processor } from '../../src/processing/processor.js';
import { createSelfTelemetry } from '../../src/self/telemetry.js';
import { SessionTracker } from '../../src/sessions/tracker.js';
import { createMetricRecorder, EventTimeGauges, MAX_SERIES } from '../../src/signals/metrics.js';
import { buildResource, createEmitters, createMeters } from '../../src/signals/providers.js';
import { SubjectMetrics } from '../../src/signals/subject-metrics.js';
import type { Batch } from '../../src/sources/contract.js';
import type { MemoryOtlp } from './memory-otlp.js';

export interface StagesOptions {
  /** Where the export stages send what they export. */
  memory: MemoryOtlp;
  /** The clock's start (epoch ns): the stages' own clock stands still unless `advance` moves it. */
  startNs: bigint;
  /** Client session traces (on in a bridge by default). */
  sessions: boolean;
}

export interface Stages {
  /** A batch through processing, as a source's next stage would hand it on. */
  process(batch: Omit<Batch, 'receivedNs'> & { receivedNs?: bigint }): void;
  /** Time passes by `ms`, then the session sweep runs as the bridge's periodic one does. */
  advance(ms: number): void;
  /** What a clean stop does before the exporters are shut down: final sweep, every queue and one metric collection exported. */
  stop(): Promise<void>;
  readonly nowNs: bigint;
}

/**
 * The stages after a source — processing (src/processing), the signals (src/signals) and the export
 * stages (src/export) — built as src/bridge.ts builds them, from the default configuration and the
 * built-in mappings, with two differences that make their output reproducible: the SDK's in-memory
 * exporters (`memory`), and one clock the test moves, given to everything that takes a clock (the
 * session tracker, the event-time gauges, the subjects of stream metrics). What still reads the wall
 * clock is the SDK's own: the start and collection times of its counters and histograms.
 */
export function startStages(options: StagesOptions): Stages {
  const config = loadConfig({ env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true' }, overrides: { sessions: { enabled: options.sessions } } });
  const log = createLogger('error');
  let now = options.startNs;
  const clockNs = () => now;
  const mappings = loadMappings({ subjectTtlMs: { 'stream:stats/devices': config.stream.deviceTtlMs } });
  const exporters = options.memory.exporters();

  const resource = buildResource(config.resource);
  const gauges = new EventTimeGauges(clockNs);
  const temporality = metricTemporality(exporters);
  const subjects = new SubjectMetrics({ temporality, now: clockNs });
  const meters = createMeters(resource, {
    readerOptions: { aggregationTemporalitySelector: temporality, metricProducers: [gauges, subjects], cardinalitySelector: () => MAX_SERIES },
  });
  const health = new ExportHealth(log);
  const telemetry = createSelfTelemetry(meters.selfMeter);
  const exportTelemetry = countingDiscards(exporters, telemetry);
  const records = new RecordExport(exporters, config.export, health, exportTelemetry, log);
  const emitters = createEmitters(resource, records);
  const recorder = createMetricRecorder(meters.meter, mappings.metrics, gauges, subjects);
  const metricsExport = new MetricsExport(
    exporters.metrics,
    meters.metricReader,
    () => recorder.flush(),
    (delivered) => gauges.collected(delivered),
    { intervalMs: config.export.metricsIntervalMs, maxPointsPerRequest: config.export.maxMetricPointsPerRequest },
    health,
    exportTelemetry,
    log,
  );
  const sessions = options.sessions ? new SessionTracker(emitters.spans, config.sessions, log, () => Number(now / 1_000_000n)) : undefined;
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
    process(batch) {
      const receipt = processor.process({ ...batch, receivedNs: batch.receivedNs ?? now });
      if (receipt.status !== 'accepted' || receipt.failedEvents > 0) throw new Error(`processing failed: ${JSON.stringify(receipt)}`);
    },
    advance(ms) {
      now += BigInt(ms) * 1_000_000n;
      sessions?.sweep(false);
    },
    async stop() {
      sessions?.sweep(true);
      const deadline = Date.now() + 10_000;
      if (!(await records.flush(deadline)) || !(await metricsExport.flush(deadline))) throw new Error('the in-memory export did not finish');
      records.stop();
      await metricsExport.shutdown(deadline);
      await Promise.all([meters.shutdown(), exporters.logs.shutdown(), exporters.traces.shutdown()]);
    },
    get nowNs() {
      return now;
    },
  };
}
