import type { AnyValue, Attributes } from '@opentelemetry/api';

/** The typed boundary between mapping and signals: what one Mist event turns into. */

export interface LogOutput {
  eventName: string;
  /** Event time (epoch ns); receipt time when the event carried none. */
  timeNs: bigint;
  observedNs: bigint;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: Attributes;
}

export type MetricAttributes = Record<string, string | number | boolean>;

export interface MetricOutput {
  /** Instrument name, declared in a mapping file. */
  name: string;
  value: number;
  attributes: MetricAttributes;
  /** The event's own time: gauges carry it as the point's timestamp. */
  timeNs: bigint;
}

export interface MappedEvent {
  logs: LogOutput[];
  metrics: MetricOutput[];
  trace: TraceContribution[];
}

export interface EventMapper {
  /**
   * One event of a batch of `source` (e.g. `webhook`) and `kind` (its topic, channel kind…);
   * `context`: values every event of the batch shares (src/sources/contract.ts).
   */
  map(source: string, kind: string, event: unknown, receivedNs: bigint, context?: Readonly<Record<string, string>>): MappedEvent;
}

/**
 * What one event tells the session tracer (src/sessions): a role (which moment of a client's
 * session this is) and named values, both declared in the topic's mapping file.
 */
export interface TraceContribution {
  topic: string;
  role: string;
  timeNs: bigint;
  values: Record<string, unknown>;
  attributes: Attributes;
}
