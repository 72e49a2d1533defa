import { type Attributes, type SpanContext, SpanKind, type SpanStatus, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Ack } from '../acks/ack.js';
import { nsToHrTime } from '../mapping/time.js';
import type { LogOutput } from '../mapping/types.js';

/** What every record a bridge emits carries: its resource and scope, and the SDK's attribute limit. */
export interface EmitterTarget {
  resource: Resource;
  /** One object for all records: the serializers group records by scope identity. */
  scope: InstrumentationScope;
  attributeCountLimit: number;
}

/**
 * Mapped logs → the SDK's ReadableLogRecord, handed straight to the export queue.
 *
 * The SDK's Logger would build a LogRecordImpl, which validates every attribute again and
 * deep-copies nested maps (`setAttributes`): 8% of the CPU of a single-event delivery, for
 * attributes the mapping already built as valid AnyValues (src/mapping/attributes.ts) and
 * nobody else holds. The record is the same one the SDK hands its processors, exported by the
 * SDK's exporters; the attribute count limit the SDK would apply is applied here.
 */
export class LogEmitter {
  constructor(
    private readonly target: EmitterTarget,
    private readonly sink: (record: ReadableLogRecord, ack: Ack) => void,
  ) {}

  /** `ack`: the acknowledgement of the batch the record was mapped from, which the export releases. */
  emit(out: LogOutput, ack: Ack): void {
    // Like the SDK: the first attributes (in insertion order) stay, the rest are counted as dropped.
    const { attributes, dropped } = limited(out.attributes, this.target.attributeCountLimit, 'log');
    this.sink(
      {
        hrTime: nsToHrTime(out.timeNs),
        hrTimeObserved: nsToHrTime(out.observedNs),
        severityNumber: out.severityNumber,
        severityText: out.severityText,
        body: out.body,
        eventName: out.eventName,
        resource: this.target.resource,
        instrumentationScope: this.target.scope,
        attributes,
        droppedAttributesCount: dropped,
      },
      ack,
    );
  }
}

/** A finished span, as whoever made it describes it (src/sessions builds them from Mist's fields). */
export interface SpanOutput {
  name: string;
  traceId: string;
  spanId: string;
  /** Present for a child span: its parent, which may have been exported by another instance. */
  parentSpanId?: string;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  status: SpanStatus;
  events: { name: string; timeNs: bigint; attributes: Attributes }[];
}

// The SDK's default span limits for what a session span can carry more than once.
const EVENT_COUNT_LIMIT = 128;
const ATTRIBUTES_PER_EVENT_LIMIT = 128;

/**
 * Span outputs → the SDK's ReadableSpan, handed straight to the export queue, for the same
 * reason as LogEmitter: the SDK's Tracer would sanitise and copy attributes the session tracker
 * already holds as valid primitives (twice: options, then SpanImpl), and it takes its ids from
 * an IdGenerator, where a session span's ids are derived from Mist's fields. What the SDK
 * would produce for the same span (ids, a remote sampled parent, limits, status rules, the end
 * clamped to the start) is held to byte for byte by a test.
 */
export class SpanEmitter {
  constructor(
    private readonly target: EmitterTarget,
    private readonly sink: (span: ReadableSpan, acks: readonly Ack[]) => void,
  ) {}

  /** `acks`: those of the batches the span was built from, which the export releases. */
  emit(out: SpanOutput, acks: readonly Ack[]): void {
    const context: SpanContext = { traceId: out.traceId, spanId: out.spanId, traceFlags: TraceFlags.SAMPLED, traceState: undefined };
    const startTime = nsToHrTime(out.startNs);
    // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max does not take
    const ended = out.endNs < out.startNs ? out.startNs : out.endNs;
    const endTime = nsToHrTime(ended);
    const { attributes, dropped } = limited(out.attributes, this.target.attributeCountLimit, 'span');
    const events = out.events.length > EVENT_COUNT_LIMIT ? out.events.slice(-EVENT_COUNT_LIMIT) : out.events;
    this.sink(
      {
        name: out.name,
        kind: SpanKind.INTERNAL,
        spanContext: () => context,
        parentSpanContext:
          out.parentSpanId === undefined ? undefined : { traceId: out.traceId, spanId: out.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true },
        startTime,
        endTime,
        // The SDK keeps a message only with an error, and ignores UNSET.
        status:
          out.status.code === SpanStatusCode.ERROR && typeof out.status.message === 'string'
            ? { code: out.status.code, message: out.status.message }
            : { code: out.status.code },
        attributes,
        links: [],
        events: events.map((e) => {
          const held = limited(e.attributes, ATTRIBUTES_PER_EVENT_LIMIT, 'event');
          return { name: e.name, attributes: held.attributes, time: nsToHrTime(e.timeNs), droppedAttributesCount: held.dropped };
        }),
        duration: nsToHrTime(ended - out.startNs),
        ended: true,
        resource: this.target.resource,
        instrumentationScope: this.target.scope,
        droppedAttributesCount: dropped,
        droppedEventsCount: out.events.length - events.length,
        droppedLinksCount: 0,
      },
      acks,
    );
  }
}

/**
 * The first `limit` attributes, and how many more there were, by the rules of the SDK's own
 * record builders (@opentelemetry/core's attribute functions):
 * - `log` (LogRecordImpl's setAttribute): an undefined value or an empty key is left out without
 *   being counted; every other value is an AnyValue the mapping built and is kept, null included.
 * - `span` (the Tracer's cleanAttributes): an undefined value is left out; an empty key is
 *   counted as dropped.
 * - `event` (addEvent's cleanSimpleAttributes): as `span`, and a value that is not a string,
 *   number, boolean or homogeneous array of them is counted as dropped.
 * The input is returned as it is when nothing is left out; a copy has no prototype (keys come
 * from payloads).
 */
function limited(attributes: Attributes, limit: number, rule: 'log' | 'span' | 'event'): { attributes: Attributes; dropped: number } {
  let count = 0;
  let holes = false;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || key === '' || (rule === 'event' && !isSimple(value))) holes = true;
    else count += 1;
  }
  if (count <= limit && !holes) return { attributes, dropped: 0 };
  const kept = Object.create(null) as Attributes;
  let n = 0;
  let dropped = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || (rule === 'log' && key === '')) continue;
    if (n >= limit || key === '' || (rule === 'event' && !isSimple(value))) {
      dropped += 1;
      continue;
    }
    kept[key] = value;
    n += 1;
  }
  return { attributes: kept, dropped };
}

function isSimple(value: unknown): boolean {
  if (!Array.isArray(value)) return isPrimitive(typeof value);
  let type: string | undefined;
  for (const element of value as unknown[]) {
    if (element == null) continue;
    const t = typeof element;
    if (t === type) continue;
    if (type !== undefined || !isPrimitive(t)) return false;
    type = t;
  }
  return true;
}

function isPrimitive(type: string): boolean {
  return type === 'string' || type === 'number' || type === 'boolean';
}
