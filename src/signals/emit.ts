import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { logs as sdkLogs, tracing } from '@opentelemetry/sdk-node';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { nsToHrTime } from '../envelope/time.js';
import type { LogOutput } from '../mapping/types.js';

type ReadableLogRecord = sdkLogs.ReadableLogRecord;
type ReadableSpan = tracing.ReadableSpan;

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
    private readonly sink: (record: ReadableLogRecord) => void,
  ) {}

  emit(out: LogOutput): void {
    // Like the SDK: the first attributes (in insertion order) stay, the rest are counted as dropped.
    const { attributes, dropped } = limited(out.attributes, this.target.attributeCountLimit, false);
    this.sink({
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
    });
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
    private readonly sink: (span: ReadableSpan) => void,
  ) {}

  emit(out: SpanOutput): void {
    const context: SpanContext = { traceId: out.traceId, spanId: out.spanId, traceFlags: TraceFlags.SAMPLED, traceState: undefined };
    const startTime = nsToHrTime(out.startNs);
    const ended = out.endNs < out.startNs ? out.startNs : out.endNs;
    const endTime = nsToHrTime(ended);
    const { attributes, dropped } = limited(out.attributes, this.target.attributeCountLimit, true);
    const events = out.events.length > EVENT_COUNT_LIMIT ? out.events.slice(-EVENT_COUNT_LIMIT) : out.events;
    this.sink({
      name: out.name,
      kind: SpanKind.INTERNAL,
      spanContext: () => context,
      parentSpanContext:
        out.parentSpanId === undefined ? undefined : { traceId: out.traceId, spanId: out.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true },
      startTime,
      endTime,
      // The SDK keeps a message only with an error, and ignores UNSET.
      status: out.status.code === SpanStatusCode.ERROR && typeof out.status.message === 'string' ? { code: out.status.code, message: out.status.message } : { code: out.status.code },
      attributes,
      links: [],
      events: events.map((e) => {
        const held = limited(e.attributes, ATTRIBUTES_PER_EVENT_LIMIT, false);
        return { name: e.name, attributes: held.attributes, time: nsToHrTime(e.timeNs), droppedAttributesCount: held.dropped };
      }),
      duration: nsToHrTime(ended - out.startNs),
      ended: true,
      resource: this.target.resource,
      instrumentationScope: this.target.scope,
      droppedAttributesCount: dropped,
      droppedEventsCount: out.events.length - events.length,
      droppedLinksCount: 0,
    });
  }
}

/**
 * The first `limit` attributes, and how many more there were. A span's attributes skip null and
 * undefined values; an event's and a log record's keep them (as the SDK's setAttribute,
 * addEvent and LogRecordImpl do). A copy has no prototype: keys come from payloads.
 */
function limited<T extends Attributes | AnyValueMap>(attributes: T, limit: number, skipNullish: boolean): { attributes: T; dropped: number } {
  let count = 0;
  let holes = false;
  for (const key in attributes) {
    if (skipNullish && attributes[key] == null) holes = true;
    else count += 1;
  }
  if (count <= limit && !holes) return { attributes, dropped: 0 };
  const kept = Object.create(null) as T;
  let n = 0;
  for (const key in attributes) {
    const v = attributes[key];
    if (skipNullish && v == null) continue;
    if (n++ >= limit) break;
    kept[key] = v;
  }
  return { attributes: kept, dropped: Math.max(0, count - limit) };
}
