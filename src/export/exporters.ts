import { readFileSync } from 'node:fs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm, OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate, type OTLPExporterNodeConfigBase } from '@opentelemetry/otlp-exporter-base/node-http';
import { LogsExporterMetricsHelper, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpExportConfig, OtlpProtocol, OtlpTarget } from '../config/sections/otlp.js';
import { createLogsSerializer } from './logs-serializer.js';
import { PatientExporter } from './patience.js';
import { createSpansSerializer } from './spans-serializer.js';

export type { OtlpProtocol };

export interface Exporters {
  logs: LogRecordExporter;
  metrics: PushMetricExporter;
  traces: SpanExporter;
  protocols: Record<'logs' | 'metrics' | 'traces', OtlpProtocol>;
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
 * One exporter per signal, built from the validated configuration (`resolveOtlp(config.otlp)`),
 * each with a request timeout that follows a slow backend (./patience.ts).
 */
export function createExporters(otlp: OtlpExportConfig): Exporters {
  const { logs, metrics, traces } = otlp;
  const patientLogs = new PatientExporter<ReadableLogRecord[]>(logs.timeoutMs, (timeoutMs) => {
    const target = { ...logs, timeoutMs };
    return logs.protocol === 'http/json' ? new JsonLogExporter(httpOptions(target)) : protobufLogExporter(target);
  });
  const patientTraces = new PatientExporter<ReadableSpan[]>(traces.timeoutMs, (timeoutMs) => {
    const target = { ...traces, timeoutMs };
    return traces.protocol === 'http/json' ? new JsonTraceExporter(httpOptions(target)) : protobufTraceExporter(target);
  });
  const patientMetrics = new PatientExporter<ResourceMetrics>(metrics.timeoutMs, (timeoutMs) => {
    const options = { ...httpOptions({ ...metrics, timeoutMs }), temporalityPreference: TEMPORALITY[metrics.temporality] };
    return metrics.protocol === 'http/json' ? new JsonMetricExporter(options) : new ProtoMetricExporter(options);
  });
  const metricSettings = patientMetrics.first as PushMetricExporter;
  return {
    logs: patientLogs,
    traces: patientTraces,
    metrics: {
      export: (resourceMetrics, resultCallback) => patientMetrics.export(resourceMetrics, resultCallback),
      forceFlush: () => patientMetrics.forceFlush(),
      shutdown: () => patientMetrics.shutdown(),
      selectAggregationTemporality: (type) => metricSettings.selectAggregationTemporality!(type),
    },
    protocols: { logs: logs.protocol, metrics: metrics.protocol, traces: traces.protocol },
  };
}
