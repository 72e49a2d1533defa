import { SeverityNumber } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { type IExportLogsServiceResponse, type ISerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { onePassRequest } from './protobuf-batch.js';
import {
  hexToBinary,
  writeAnyValue,
  writeAttributes,
  writeContainer,
  writeHrTimeAsFixed64,
  writeInstrumentationScope,
  writeResource,
} from './protobuf-fields.js';
import type { BufferProtobufWriter } from './protobuf-writer.js';

/**
 * OTLP/protobuf for log records: the SDK's encoding (its serializer field for field, the same
 * bytes as ProtobufLogsSerializer, which a test holds it to), written in one pass
 * (./protobuf-batch.ts) by a writer that copies strings natively (./protobuf-writer.ts), with
 * the SDK's common field functions for that writer alone (./protobuf-fields.ts).
 */
export function createLogsSerializer(): ISerializer<ReadableLogRecord[], IExportLogsServiceResponse> {
  return {
    serializeRequest: onePassRequest(writeResourceLogs),
    deserializeResponse: (data) => ProtobufLogsSerializer.deserializeResponse(data),
  };
}

// The three functions below follow @opentelemetry/otlp-transformer's logs-serializer field by
// field (opentelemetry-proto logs.proto field numbers in the comments).

function writeResourceLogs(writer: BufferProtobufWriter, resource: Resource, scopes: Map<InstrumentationScope, ReadableLogRecord[]>): void {
  writeContainer(writer, writeResource, resource, scopes, writeScopeLogs); // resource, scope_logs
}

function writeScopeLogs(writer: BufferProtobufWriter, [scope, records]: [InstrumentationScope, ReadableLogRecord[]]): void {
  writeContainer(writer, writeInstrumentationScope, scope, records, writeLogRecord); // scope, log_records
}

function writeLogRecord(writer: BufferProtobufWriter, record: ReadableLogRecord): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  writer.writeTag(1, 1); // time_unix_nano, fixed64
  writeHrTimeAsFixed64(writer, record.hrTime);
  if (record.severityNumber !== undefined && record.severityNumber !== SeverityNumber.UNSPECIFIED) {
    writer.writeTag(2, 0); // severity_number
    writer.writeVarint(record.severityNumber);
  }
  if (record.severityText) {
    writer.writeTag(3, 2); // severity_text
    writer.writeString(record.severityText);
  }
  if (record.body !== undefined) {
    writer.writeTag(5, 2); // body
    const bodyStart = writer.startLengthDelimited();
    const bodyStartPos = writer.pos;
    writeAnyValue(writer, record.body);
    writer.finishLengthDelimited(bodyStart, writer.pos - bodyStartPos);
  }
  if (record.attributes) writeAttributes(writer, record.attributes, 6); // attributes
  writer.writeTag(7, 0); // dropped_attributes_count
  writer.writeVarint(record.droppedAttributesCount);
  const spanContext = record.spanContext;
  if (spanContext?.traceFlags) {
    writer.writeTag(8, 5); // flags, fixed32
    writer.writeFixed32(spanContext.traceFlags);
  }
  if (spanContext?.traceId) {
    writer.writeTag(9, 2); // trace_id
    writer.writeBytes(hexToBinary(spanContext.traceId));
  }
  if (spanContext?.spanId) {
    writer.writeTag(10, 2); // span_id
    writer.writeBytes(hexToBinary(spanContext.spanId));
  }
  writer.writeTag(11, 1); // observed_time_unix_nano, fixed64
  writeHrTimeAsFixed64(writer, record.hrTimeObserved);
  if (record.eventName) {
    writer.writeTag(12, 2); // event_name
    writer.writeString(record.eventName);
  }
  writer.finishLengthDelimited(start, writer.pos - startPos);
}
