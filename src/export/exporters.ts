import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { LogsExporterMetricsHelper, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { createLogsSerializer } from './logs-serializer.js';
import { createSpansSerializer } from './spans-serializer.js';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface Exporters {
  logs: LogRecordExporter;
  metrics: PushMetricExporter;
  traces: SpanExporter;
  protocols: Record<'logs' | 'metrics' | 'traces', OtlpProtocol>;
}

/**
 * OTEL_EXPORTER_OTLP_[SIGNAL_]PROTOCOL picks the exporter class; everything else standard
 * (endpoints, headers, compression, timeout, temporality) the exporters read from the
 * environment themselves, exactly as every OpenTelemetry SDK does.
 */
export function protocolFor(signal: 'LOGS' | 'METRICS' | 'TRACES', env: NodeJS.ProcessEnv): OtlpProtocol {
  const raw = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (raw === 'http/protobuf' || raw === 'http/json') return raw;
  throw new Error(
    `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL: "${raw}" is not supported; use http/protobuf or http/json`,
  );
}

/**
 * What @opentelemetry/exporter-logs-otlp-proto's OTLPLogExporter builds (the same environment
 * configuration, transport and retries), with the one-pass serializer of ./logs-serializer.ts.
 */
function protobufLogExporter(): LogRecordExporter {
  const options = convertLegacyHttpOptions({}, 'LOGS', 'v1/logs', { 'Content-Type': 'application/x-protobuf' });
  const delegate = createOtlpHttpExportDelegate(options, createLogsSerializer(), 'otlp_http_log_exporter', LogsExporterMetricsHelper, undefined);
  return new OTLPExporterBase<ReadableLogRecord[]>(delegate);
}

/** The same for spans: @opentelemetry/exporter-trace-otlp-proto's OTLPTraceExporter with the
 * one-pass serializer of ./spans-serializer.ts. */
function protobufTraceExporter(): SpanExporter {
  const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  const delegate = createOtlpHttpExportDelegate(options, createSpansSerializer(), 'otlp_http_span_exporter', TraceExporterMetricsHelper, undefined);
  return new OTLPExporterBase<ReadableSpan[]>(delegate);
}

export function createExporters(env: NodeJS.ProcessEnv = process.env): Exporters {
  const protocols = {
    logs: protocolFor('LOGS', env),
    metrics: protocolFor('METRICS', env),
    traces: protocolFor('TRACES', env),
  };
  return {
    logs: protocols.logs === 'http/json' ? new JsonLogExporter() : protobufLogExporter(),
    metrics: protocols.metrics === 'http/json' ? new JsonMetricExporter() : new ProtoMetricExporter(),
    traces: protocols.traces === 'http/json' ? new JsonTraceExporter() : protobufTraceExporter(),
    protocols,
  };
}
