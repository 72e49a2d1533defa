import type { Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { type IExportTraceServiceResponse, type ISerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { onePassRequest } from './protobuf-batch.js';
import { hexToBinary, writeAttributes, writeContainer, writeHrTimeAsFixed64, writeInstrumentationScope, writeResource } from './protobuf-fields.js';
import type { BufferProtobufWriter } from './protobuf-writer.js';

/**
 * OTLP/protobuf for spans, as ./logs-serializer.ts for log records: the SDK's encoding (its
 * serializer field for field, the same bytes as ProtobufTraceSerializer, which a test holds it
 * to), written in one pass (./protobuf-batch.ts) by a writer that copies strings natively
 * (./protobuf-writer.ts), with the SDK's common field functions for that writer alone
 * (./protobuf-fields.ts).
 */
export function createSpansSerializer(): ISerializer<ReadableSpan[], IExportTraceServiceResponse> {
  return {
    serializeRequest: onePassRequest(writeResourceSpans),
    deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
  };
}

// The functions below follow @opentelemetry/otlp-transformer's trace-serializer field by field
// (opentelemetry-proto trace.proto field numbers in the comments).

const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK = 0x200;

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK | (isRemote ? SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK : 0);
}

function writeResourceSpans(writer: BufferProtobufWriter, resource: Resource, scopes: Map<InstrumentationScope, ReadableSpan[]>): void {
  writeContainer(writer, writeResource, resource, scopes, writeScopeSpans); // resource, scope_spans
}

function writeScopeSpans(writer: BufferProtobufWriter, [scope, spans]: [InstrumentationScope, ReadableSpan[]]): void {
  writeContainer(writer, writeInstrumentationScope, scope, spans, writeSpan); // scope, spans
}

// Span and Link both open with trace_id (1), span_id (2) and trace_state (3).
function writeIds(writer: BufferProtobufWriter, ctx: SpanContext): void {
  writer.writeTag(1, 2); // trace_id
  writer.writeBytes(hexToBinary(ctx.traceId));
  writer.writeTag(2, 2); // span_id
  writer.writeBytes(hexToBinary(ctx.spanId));
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    writer.writeTag(3, 2); // trace_state
    writer.writeString(traceState);
  }
}

function writeSpan(writer: BufferProtobufWriter, span: ReadableSpan): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  const ctx = span.spanContext();
  writeIds(writer, ctx);
  if (span.parentSpanContext?.spanId) {
    writer.writeTag(4, 2); // parent_span_id
    writer.writeBytes(hexToBinary(span.parentSpanContext.spanId));
  }
  writer.writeTag(5, 2); // name
  writer.writeString(span.name);
  // The API's SpanKind has no "unspecified": OTLP's enum is the API's plus one.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    writer.writeTag(6, 0); // kind
    writer.writeVarint(kind);
  }
  writer.writeTag(7, 1); // start_time_unix_nano, fixed64
  writeHrTimeAsFixed64(writer, span.startTime);
  writer.writeTag(8, 1); // end_time_unix_nano, fixed64
  writeHrTimeAsFixed64(writer, span.endTime);
  if (span.attributes) writeAttributes(writer, span.attributes, 9); // attributes
  writer.writeTag(10, 0); // dropped_attributes_count
  writer.writeVarint(span.droppedAttributesCount);
  for (const event of span.events) {
    writer.writeTag(11, 2); // events
    writeEvent(writer, event);
  }
  writer.writeTag(12, 0); // dropped_events_count
  writer.writeVarint(span.droppedEventsCount);
  for (const link of span.links) {
    writer.writeTag(13, 2); // links
    writeLink(writer, link);
  }
  writer.writeTag(14, 0); // dropped_links_count
  writer.writeVarint(span.droppedLinksCount);
  writer.writeTag(15, 2); // status
  writeStatus(writer, span.status);
  writer.writeTag(16, 5); // flags, fixed32 (never 0: it always says whether the parent is remote)
  writer.writeFixed32(spanFlags(ctx.traceFlags, span.parentSpanContext?.isRemote));
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

function writeEvent(writer: BufferProtobufWriter, event: TimedEvent): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  writer.writeTag(1, 1); // time_unix_nano, fixed64
  writeHrTimeAsFixed64(writer, event.time);
  writer.writeTag(2, 2); // name
  writer.writeString(event.name);
  if (event.attributes) writeAttributes(writer, event.attributes, 3); // attributes
  writer.writeTag(4, 0); // dropped_attributes_count
  writer.writeVarint(event.droppedAttributesCount || 0);
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

function writeLink(writer: BufferProtobufWriter, link: Link): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  const ctx: SpanContext = link.context;
  writeIds(writer, ctx);
  if (link.attributes) writeAttributes(writer, link.attributes, 4); // attributes
  writer.writeTag(5, 0); // dropped_attributes_count
  writer.writeVarint(link.droppedAttributesCount || 0);
  writer.writeTag(6, 5); // flags, fixed32
  writer.writeFixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

function writeStatus(writer: BufferProtobufWriter, status: SpanStatus): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  if (status.message) {
    writer.writeTag(2, 2); // message
    writer.writeString(status.message);
  }
  writer.writeTag(3, 0); // code
  writer.writeVarint(status.code);
  writer.finishLengthDelimited(start, writer.pos - startPos);
}
