import type { ExportResult } from '@opentelemetry/core';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { InMemoryLogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, InMemoryMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach } from 'vitest';
import type { Exporters } from '../../src/export/exporters.js';
import { decodeOtlpJson, type ReceivedLog, type ReceivedPoint, type ReceivedSpan } from './otlp-receiver.js';
import { pollUntil } from './poll.js';

/** One export as a backend would have received it: the OTLP/JSON request the SDK's serializer makes of it. */
export interface MemoryRequest {
  signal: 'logs' | 'metrics' | 'traces';
  otlp: Record<string, unknown>;
}

/**
 * Where a test bridge exports when what a test asserts is the telemetry, not how it travels: the
 * SDK's in-memory exporters, each export turned into OTLP/JSON by the SDK's serializers when it is
 * made and decoded into the shapes the OTLP receiver gives (./otlp-receiver.ts), so the same
 * assertions read either. The wire format and HTTP behaviour (protocols, compression, headers,
 * status codes, retries) are proven against the real receiver; this skips only the socket.
 *
 * `exporters()` builds a fresh set for each bridge (a stopped bridge shuts its exporters down,
 * and the SDK's in-memory exporters forget what they held then); what every set exports lands here.
 */
export class MemoryOtlp {
  readonly logs: ReceivedLog[] = [];
  readonly points: ReceivedPoint[] = [];
  readonly spans: ReceivedSpan[] = [];
  readonly requests: MemoryRequest[] = [];

  exporters(temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE): Exporters & { metrics: InMemoryMetricExporter } {
    const memory = this;
    const logs = new (class extends InMemoryLogRecordExporter {
      override export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
        memory.took('logs', JsonLogsSerializer.serializeRequest(records));
        super.export(records, done);
      }
    })();
    const metrics = new (class extends InMemoryMetricExporter {
      override export(collection: ResourceMetrics, done: (result: ExportResult) => void): void {
        // Serialized now: a later collection may reuse the SDK's point objects.
        if (!this._shutdown) memory.took('metrics', JsonMetricsSerializer.serializeRequest(collection));
        super.export(collection, done);
      }
    })(temporality);
    const traces = new (class extends InMemorySpanExporter {
      override export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
        memory.took('traces', JsonTraceSerializer.serializeRequest(spans));
        super.export(spans, done);
      }
    })();
    return {
      logs,
      metrics,
      traces,
      protocols: { logs: 'http/json', metrics: 'http/json', traces: 'http/json' },
      // Exported as an OTLP exporter exports (what a `none` exporter takes is counted as dropped instead).
      selection: { logs: 'otlp', metrics: 'otlp', traces: 'otlp' },
    };
  }

  /** Poll until `predicate()` holds; rejects with what arrived after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    return pollUntil('memory-otlp', predicate, timeoutMs, () => [
      `exported logs=${this.logs.length} points=${this.points.length} spans=${this.spans.length} requests=${this.requests.length}`,
      `points: ${[...new Set(this.points.map((p) => p.name))].join(', ') || '-'}`,
    ]);
  }

  /** Forget everything exported so far (in place). */
  clear(): void {
    this.logs.length = 0;
    this.points.length = 0;
    this.spans.length = 0;
    this.requests.length = 0;
  }

  private took(signal: MemoryRequest['signal'], body: Uint8Array | undefined): void {
    if (body === undefined) throw new Error(`memory-otlp: the SDK's JSON serializer returned nothing for ${signal}`);
    this.requests.push({ signal, otlp: JSON.parse(new TextDecoder().decode(body)) as Record<string, unknown> });
    if (signal === 'logs') this.logs.push(...decodeOtlpJson('logs', body));
    else if (signal === 'metrics') this.points.push(...decodeOtlpJson('metrics', body));
    else this.spans.push(...decodeOtlpJson('traces', body));
  }
}

/** A MemoryOtlp for a test file, emptied after each test. */
export function useMemoryOtlp(): MemoryOtlp {
  const memory = new MemoryOtlp();
  afterEach(() => memory.clear());
  return memory;
}
