import { hostname } from 'node:os';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
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

export interface SignalSinks {
  logs: (record: ReadableLogRecord) => void;
  spans: (span: ReadableSpan) => void;
}

export interface Signals {
  resource: Resource;
  logs: LogEmitter;
  spans: SpanEmitter;
  meter: ReturnType<sdkMetrics.MeterProvider['getMeter']>;
  selfMeter: ReturnType<sdkMetrics.MeterProvider['getMeter']>;
  metricReader: DrivenMetricReader;
  shutdown(): Promise<void>;
}

export interface SignalOptions {
  /** The configured resource (`resource` keys); the built-in defaults alone when left out. */
  resource?: ResourceSettings;
  sinks: SignalSinks;
  metricReaderOptions?: sdkMetrics.MetricReaderOptions;
  /** Further readers of the same instruments (the /metrics endpoint's). */
  extraMetricReaders?: sdkMetrics.MetricReader[];
}

/**
 * One meter provider and one pair of record emitters per bridge instance (nothing global), so
 * two bridges can run in one process and tests see exactly their own telemetry.
 */
export function createSignals(options: SignalOptions): Signals {
  const resource = buildResource(options.resource);
  // Mist events carry 20-60 fields; the SDK's default limit of 128 attributes would be reached
  // by nothing we emit today but would truncate silently if it were.
  const target = { resource, scope: { name: SCOPE_NAME, version: packageVersion }, attributeCountLimit: 1024 };
  const metricReader = new DrivenMetricReader(options.metricReaderOptions);
  const meterProvider = new sdkMetrics.MeterProvider({ resource, readers: [metricReader, ...(options.extraMetricReaders ?? [])] });

  return {
    resource,
    logs: new LogEmitter(target, options.sinks.logs),
    spans: new SpanEmitter(target, options.sinks.spans),
    meter: meterProvider.getMeter(SCOPE_NAME, packageVersion),
    selfMeter: meterProvider.getMeter(SELF_SCOPE_NAME, packageVersion),
    metricReader,
    async shutdown() {
      await meterProvider.shutdown();
    },
  };
}
