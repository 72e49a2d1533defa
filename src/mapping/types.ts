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
  /**
   * The point's attributes. With a `subject`, the metric's own only: the point also carries the
   * subject's (`subject.attributes`; `pointAttributes` in ./attributes.ts merges them).
   */
  attributes: MetricAttributes;
  /** The event's own time: gauges carry it as the point's timestamp. */
  timeNs: bigint;
  /** Observed counters: seconds the sender's count has been running at the point's time (its uptime), when it said. */
  uptime?: number;
  /** Files with a `subject`: the device or client the point is about. */
  subject?: Subject;
  /**
   * With `subject`: tells the subject's series apart (the metric and its own attributes, as a key);
   * the subject's attributes, such as a device name, may change without making a new series.
   */
  seriesKey?: string;
}

/** What a mapping file's `subject` resolved to for one event; one object shared by its points. */
export interface Subject {
  /** Its key (a MAC): keeps its series and contributions apart in memory, never exported. */
  key: string;
  /** How long after this event the subject's series and contributions live without a newer one. */
  ttlNs: bigint;
  /** Attributes every point of the subject carries, as last known; the same object while they stay the same. */
  attributes: MetricAttributes;
  /** `attributes` as a map key. */
  attributesKey: string;
}

export interface MappedEvent {
  logs: LogOutput[];
  metrics: MetricOutput[];
  trace: TraceContribution[];
}

export interface EventMapper {
  /**
   * One event of a batch: `source` and `kind` select the mapping file (a webhook topic is the kind
   * of source `webhook`), `context` holds the batch's values from outside the event (`$context.`).
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
