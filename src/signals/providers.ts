import { hostname } from 'node:os';
import { defaultResource, type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Ack } from '../acks/ack.js';
import type { ResourceSettings } from '../config/schema.js';
import { packageVersion } from '../package-root.js';
import { LogEmitter, SpanEmitter } from './emit.js';

export const SCOPE_NAME = 'mist-otel-bridge';
/** The scope of what the bridge reports about itself (src/self). */
export const SELF_SCOPE_NAME = 'mist-otel-bridge.self';

/**
 * service.name=mist-ai and source=juniper-mist are what the published Mist → OTel recipe sets,
 * so dashboards built for it keep working; `resource.attributes` (OTEL_RESOURCE_ATTRIBUTES) and
 * then `resource.serviceName` (OTEL_SERVICE_NAME) override them, as the SDK's env detector would.
 */
export function buildResource(settings: ResourceSettings = { serviceName: null, attributes: {} }): Resource {
  const defaults = resourceFromAttributes({
    'service.name': 'mist-ai',
    'service.version': packageVersion,
    // Replicas must not write the same series: the host name (a pod or container name when
    // containerised) tells them apart and, unlike a random id, stays put across restarts.
    'service.instance.id': hostname(),
    source: 'juniper-mist',
  });
  const configured = resourceFromAttributes({
    ...settings.attributes,
    ...(settings.serviceName !== null ? { 'service.name': settings.serviceName } : {}),
  });
  // defaultResource() carries telemetry.sdk.*, which an explicit resource would otherwise replace.
  return defaultResource().merge(defaults).merge(configured);
}

/** A reader the export loop drives: collection happens when the loop decides, not on a timer
 * of the SDK's, so a failed export can be retried and counted. */
export class DrivenMetricReader extends sdkMetrics.MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** Where emitted records go (the export stage), each with its batches' acknowledgements. */
export interface SignalSinks {
  logs: (record: ReadableLogRecord, ack: Ack) => void;
  spans: (span: ReadableSpan, acks: readonly Ack[]) => void;
}

export interface Meters {
  /** The meter of the telemetry mapped from Mist data. */
  meter: ReturnType<sdkMetrics.MeterProvider['getMeter']>;
  /** The meter of what the bridge reports about itself (src/self). */
  selfMeter: ReturnType<sdkMetrics.MeterProvider['getMeter']>;
  /** The reader the metric export drives. */
  metricReader: DrivenMetricReader;
  shutdown(): Promise<void>;
}

export interface MeterOptions {
  readerOptions?: sdkMetrics.MetricReaderOptions;
  /** Further readers of the same instruments (the /metrics endpoint's). */
  extraReaders?: sdkMetrics.MetricReader[];
}

/** One meter provider per bridge instance (nothing global), so two bridges can share a process. */
export function createMeters(resource: Resource, options: MeterOptions = {}): Meters {
  const metricReader = new DrivenMetricReader(options.readerOptions);
  const meterProvider = new sdkMetrics.MeterProvider({ resource, readers: [metricReader, ...(options.extraReaders ?? [])] });
  return {
    meter: meterProvider.getMeter(SCOPE_NAME, packageVersion),
    selfMeter: meterProvider.getMeter(SELF_SCOPE_NAME, packageVersion),
    metricReader,
    shutdown: () => meterProvider.shutdown(),
  };
}

export interface Emitters {
  logs: LogEmitter;
  spans: SpanEmitter;
}

/** The log record and span emitters of one bridge, handing what they build to `sinks`. */
export function createEmitters(resource: Resource, sinks: SignalSinks): Emitters {
  // Mist events carry 20-60 fields; the SDK's default limit of 128 attributes would be reached
  // by nothing we emit today but would truncate silently if it were.
  const target = { resource, scope: { name: SCOPE_NAME, version: packageVersion }, attributeCountLimit: 1024 };
  return { logs: new LogEmitter(target, sinks.logs), spans: new SpanEmitter(target, sinks.spans) };
}
