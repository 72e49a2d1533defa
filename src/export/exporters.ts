import { readFileSync } from 'node:fs';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetricExporter, OTLPMetricExporterBase } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate, type OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base/node-http';
import { LogsExporterMetricsHelper, MetricsExporterMetricsHelper, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { ConsoleLogRecordExporter, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  type AggregationTemporalitySelector,
  ConsoleMetricExporter,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { type ExporterSelection, exporters as exportersSection } from '../config/sections/exporters.js';
import type { OtlpExportConfig, OtlpProtocol, OtlpTarget } from '../config/sections/otlp.js';
import type { Logger } from '../log/logger.js';
import { createLogsSerializer } from './logs-serializer.js';
import { MetricsRequestSerializer } from './metrics-serializer.js';
import { PatientExporter } from './patience.js';
import type { ExportTelemetry } from './records.js';
import { createSpansSerializer } from './spans-serializer.js';

export type { OtlpProtocol };

/** OTEL_METRICS_EXPORTER=prometheus: nothing is pushed; the metrics are served for scraping here. */
export interface PrometheusPull {
  kind: 'prometheus';
  host: string;
  port: number;
}

export interface Exporters {
  logs: LogRecordExporter;
  /** A push exporter the export loop drives, or where the metrics are served for scraping. */
  metrics: PushMetricExporter | PrometheusPull;
  traces: SpanExporter;
  protocols: Record<'logs' | 'metrics' | 'traces', OtlpProtocol>;
  /** Which exporter each signal has (OTEL_LOGS_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_TRACES_EXPORTER). */
  selection: Pick<ExporterSelection, 'logs' | 'metrics' | 'traces'>;
}

const TEMPORALITY = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
} as const;

/**
 * Everything the SDK would otherwise take from OTEL_EXPORTER_OTLP_* (src/config read and
 * validated those once), given explicitly. The agent options replace the SDK's own agent,
 * which would read the certificate variables itself.
 */
function httpOptions(target: OtlpTarget): OTLPExporterNodeConfigBase {
  const { ca, cert, key } = target.tls;
  return {
    url: target.url,
    headers: { ...target.headers },
    compression: target.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
    timeoutMillis: target.timeoutMs,
    httpAgentOptions: {
      keepAlive: true,
      ...(ca ? { ca: readFileSync(ca) } : {}),
      ...(cert ? { cert: readFileSync(cert) } : {}),
      ...(key ? { key: readFileSync(key) } : {}),
    },
  };
}

/**
 * What @opentelemetry/exporter-logs-otlp-proto's OTLPLogExporter builds (the same transport and
 * retries), with the one-pass serializer of ./logs-serializer.ts.
 */
function protobufLogExporter(target: OtlpTarget): LogRecordExporter {
  const options = convertLegacyHttpOptions(httpOptions(target), 'LOGS', 'v1/logs', { 'Content-Type': 'application/x-protobuf' });
  const delegate = createOtlpHttpExportDelegate(options, createLogsSerializer(), 'otlp_http_log_exporter', LogsExporterMetricsHelper, undefined);
  return new OTLPExporterBase<ReadableLogRecord[]>(delegate);
}

/** The same for spans: @opentelemetry/exporter-trace-otlp-proto's OTLPTraceExporter with the
 * one-pass serializer of ./spans-serializer.ts. */
function protobufTraceExporter(target: OtlpTarget): SpanExporter {
  const options = convertLegacyHttpOptions(httpOptions(target), 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  const delegate = createOtlpHttpExportDelegate(options, createSpansSerializer(), 'otlp_http_span_exporter', TraceExporterMetricsHelper, undefined);
  return new OTLPExporterBase<ReadableSpan[]>(delegate);
}

/**
 * And for metrics: @opentelemetry/exporter-metrics-otlp-proto's OTLPMetricExporter (its transport,
 * retries and temporality preference) with the serializer of ./metrics-serializer.ts, told when
 * each export starts and has its answer, so it can write each request into the buffer of the
 * one before.
 */
function protobufMetricExporter(options: ReturnType<typeof httpOptions> & { temporalityPreference: AggregationTemporalityPreference }): PushMetricExporter {
  const serializer = new MetricsRequestSerializer();
  const delegate = createOtlpHttpExportDelegate(
    convertLegacyHttpOptions(options, 'METRICS', 'v1/metrics', { 'Content-Type': 'application/x-protobuf' }),
    serializer,
    'otlp_http_metric_exporter',
    MetricsExporterMetricsHelper,
    undefined,
  );
  // The exporter package pins otlp-exporter-base 0.301.0 beside the 0.301.1 the others share: the
  // same delegate, declared twice (a private field tells the two declarations apart).
  const base = new OTLPMetricExporterBase(delegate as unknown as ConstructorParameters<typeof OTLPMetricExporterBase>[0], options);
  return {
    export: (resourceMetrics, resultCallback) => {
      serializer.begin();
      base.export(resourceMetrics, (result) => {
        serializer.end();
        resultCallback(result);
      });
    },
    forceFlush: () => base.forceFlush(),
    shutdown: () => base.shutdown(),
    selectAggregationTemporality: (type) => base.selectAggregationTemporality(type),
    selectAggregation: (type) => base.selectAggregation(type),
  };
}

/**
 * OTEL_*_EXPORTER=none: every export succeeds at once and sends nothing. The export stages still
 * queue, acknowledge and count (as dropped, through `countingDiscards`), so `none` is a decision
 * that shows in /metrics, not a silent hole.
 */
class Discard {
  export(_items: unknown, done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** OTLP exporters get a request timeout that follows a slow backend (./patience.ts). */
function logExporter(chosen: ExporterSelection['logs'], logs: OtlpTarget): LogRecordExporter {
  if (chosen === 'console') return new ConsoleLogRecordExporter();
  if (chosen === 'none') return new Discard();
  return new PatientExporter<ReadableLogRecord[]>(logs.timeoutMs, (timeoutMs) => {
    const target = { ...logs, timeoutMs };
    return logs.protocol === 'http/json' ? new JsonLogExporter(httpOptions(target)) : protobufLogExporter(target);
  });
}

function traceExporter(chosen: ExporterSelection['traces'], traces: OtlpTarget): SpanExporter {
  if (chosen === 'console') return new ConsoleSpanExporter();
  if (chosen === 'none') return new Discard();
  return new PatientExporter<ReadableSpan[]>(traces.timeoutMs, (timeoutMs) => {
    const target = { ...traces, timeoutMs };
    return traces.protocol === 'http/json' ? new JsonTraceExporter(httpOptions(target)) : protobufTraceExporter(target);
  });
}

function metricExporter(selection: ExporterSelection, target: OtlpExportConfig['metrics']): Exporters['metrics'] {
  switch (selection.metrics) {
    case 'prometheus':
      return { kind: 'prometheus', host: selection.prometheusHost, port: selection.prometheusPort };
    case 'console':
      return new ConsoleMetricExporter();
    case 'none':
      return new Discard();
    case 'otlp': {
      const patient = new PatientExporter<ResourceMetrics>(target.timeoutMs, (timeoutMs) => {
        const options = { ...httpOptions({ ...target, timeoutMs }), temporalityPreference: TEMPORALITY[target.temporality] };
        return target.protocol === 'http/json' ? new JsonMetricExporter(options) : protobufMetricExporter(options);
      });
      const settings = patient.first as PushMetricExporter;
      return {
        export: (resourceMetrics, resultCallback) => patient.export(resourceMetrics, resultCallback),
        forceFlush: () => patient.forceFlush(),
        shutdown: () => patient.shutdown(),
        selectAggregationTemporality: (type) => settings.selectAggregationTemporality!(type),
      };
    }
  }
}

/**
 * One exporter per signal, as `selection` chooses (OTEL_*_EXPORTER; OTLP by default), the OTLP
 * ones built from the validated configuration (`resolveOtlp(config.otlp)`).
 */
export function createExporters(otlp: OtlpExportConfig, selection: ExporterSelection = exportersSection.parse({})): Exporters {
  return {
    logs: logExporter(selection.logs, otlp.logs),
    metrics: metricExporter(selection, otlp.metrics),
    traces: traceExporter(selection.traces, otlp.traces),
    protocols: { logs: otlp.logs.protocol, metrics: otlp.metrics.protocol, traces: otlp.traces.protocol },
    selection: { logs: selection.logs, metrics: selection.metrics, traces: selection.traces },
  };
}

/** Whether the metrics are pushed by the export loop (and by which exporter) or served for scraping. */
export function isPull(metrics: Exporters['metrics']): metrics is PrometheusPull {
  return (metrics as PrometheusPull).kind === 'prometheus';
}

/**
 * The temporality the metric instruments keep: the push exporter's choice
 * (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE for OTLP); always cumulative for Prometheus,
 * which only takes cumulative counts.
 */
export function metricTemporality(exporters: Exporters): AggregationTemporalitySelector {
  const { metrics } = exporters;
  return (type) => (isPull(metrics) ? undefined : metrics.selectAggregationTemporality?.(type)) ?? AggregationTemporality.CUMULATIVE;
}

const SIGNAL_OF = { logs: 'logs', traces: 'traces', metrics: 'metrics' } as const;

/**
 * The export stages' telemetry, with what a `none` exporter "exported" counted as dropped on
 * purpose (`mist.bridge.dropped{what=<signal>, reason=exporter_none}`) instead of as exported.
 */
export function countingDiscards(exporters: Exporters, telemetry: ExportTelemetry): ExportTelemetry {
  const discarded = (signal: keyof typeof SIGNAL_OF) => exporters.selection[signal] === 'none';
  return {
    exported: (signal, records, ms) =>
      discarded(SIGNAL_OF[signal]) ? telemetry.dropped(signal, 'exporter_none', records) : telemetry.exported(signal, records, ms),
    exportFailed: (signal, records) => telemetry.exportFailed(signal, records),
    exportTimedOut: (signal, records) => telemetry.exportTimedOut(signal, records),
    dropped: (what, reason, count) => telemetry.dropped(what, reason, count),
  };
}

/** Said once at start-up: where each signal goes, and loudly what is dropped on purpose. */
export function announceExporters(exporters: Exporters, log: Logger, scrapeUrl: string | undefined): void {
  const variable = { logs: 'OTEL_LOGS_EXPORTER', metrics: 'OTEL_METRICS_EXPORTER', traces: 'OTEL_TRACES_EXPORTER' } as const;
  const what = { logs: 'log records', metrics: 'metric points', traces: 'spans' } as const;
  for (const signal of ['logs', 'metrics', 'traces'] as const) {
    const chosen = exporters.selection[signal];
    if (chosen === 'none') {
      log.warn(`${variable[signal]}=none: ${what[signal]} are dropped on purpose, never exported`, {
        signal,
        counted: `mist.bridge.dropped{what="${signal}",reason="exporter_none"}`,
      });
    } else if (chosen === 'console') {
      log.info(`${variable[signal]}=console: ${what[signal]} are written to stdout`, { signal });
    }
  }
  if (scrapeUrl !== undefined) log.info('OTEL_METRICS_EXPORTER=prometheus: metrics are served for scraping', { url: scrapeUrl });
}
