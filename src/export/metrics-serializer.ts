import { ValueType } from '@opentelemetry/api';
import { type IExportMetricsServiceResponse, type ISerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { writeAttributes, writeContainer, writeHrTimeAsFixed64, writeInstrumentationScope, writeResource } from './protobuf-fields.js';
import { BufferProtobufWriter } from './protobuf-writer.js';

// A request's buffer starts at this and doubles as needed; the reused one keeps its size.
const INITIAL_BYTES = 64 * 1024;

/**
 * OTLP/protobuf for metrics: the SDK's encoding (its serializer field for field, the same bytes as
 * ProtobufMetricsSerializer, which a test holds it to), written in one pass by the writer of
 * ./protobuf-writer.ts, where the SDK's walks every point twice (once to size the buffer).
 *
 * A request is written into the buffer the previous one used, unless another is still in flight
 * (`begin`/`end` around each export tell): a stream's collection is tens of requests of a few MiB
 * each, and a new buffer for each stays held until V8 happens to collect its wrapper, tens of
 * MiB at every collection (BENCHMARKS.md). The transport sends the bytes as they are, so one
 * request's buffer is free again once its export has answered; a request the backend answered
 * before reading it whole is over for the backend too.
 */
export class MetricsRequestSerializer implements ISerializer<ResourceMetrics, IExportMetricsServiceResponse> {
  private readonly shared = new BufferProtobufWriter(INITIAL_BYTES);
  private inFlight = 0;

  /** An export is starting: the request it serializes next may use the shared buffer if it is the only one. */
  begin(): void {
    this.inFlight++;
  }

  /** An export has its answer: its request's bytes are no longer read. */
  end(): void {
    this.inFlight--;
  }

  serializeRequest(resourceMetrics: ResourceMetrics): Uint8Array {
    const writer = this.inFlight <= 1 ? this.shared.restart() : new BufferProtobufWriter(INITIAL_BYTES);
    writer.writeTag(1, 2); // resource_metrics
    writeResourceMetrics(writer, resourceMetrics);
    return writer.finish();
  }

  deserializeResponse(data: Uint8Array): IExportMetricsServiceResponse {
    return ProtobufMetricsSerializer.deserializeResponse(data);
  }
}

// The functions below follow @opentelemetry/otlp-transformer's metrics-serializer field by field
// (opentelemetry-proto metrics.proto field numbers in the comments).

function writeResourceMetrics(writer: BufferProtobufWriter, resourceMetrics: ResourceMetrics): void {
  writeContainer(writer, writeResource, resourceMetrics.resource, resourceMetrics.scopeMetrics, writeScopeMetrics); // resource, scope_metrics
}

function writeScopeMetrics(writer: BufferProtobufWriter, scopeMetrics: ScopeMetrics): void {
  writeContainer(writer, writeInstrumentationScope, scopeMetrics.scope, scopeMetrics.metrics, writeMetric); // scope, metrics
}

function writeMetric(writer: BufferProtobufWriter, metric: MetricData): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  writer.writeTag(1, 2); // name
  writer.writeString(metric.descriptor.name);
  if (metric.descriptor.description) {
    writer.writeTag(2, 2); // description
    writer.writeString(metric.descriptor.description);
  }
  if (metric.descriptor.unit) {
    writer.writeTag(3, 2); // unit
    writer.writeString(metric.descriptor.unit);
  }
  switch (metric.dataPointType) {
    case DataPointType.GAUGE:
      writer.writeTag(5, 2); // gauge
      writePoints(writer, metric.dataPoints, (p) => writeNumberPoint(writer, p, metric.descriptor.valueType), undefined, false);
      break;
    case DataPointType.SUM:
      writer.writeTag(7, 2); // sum
      writePoints(
        writer,
        metric.dataPoints,
        (p) => writeNumberPoint(writer, p, metric.descriptor.valueType),
        metric.aggregationTemporality,
        metric.isMonotonic,
      );
      break;
    case DataPointType.HISTOGRAM:
      writer.writeTag(9, 2); // histogram
      writePoints(writer, metric.dataPoints, (p) => writeHistogramPoint(writer, p), metric.aggregationTemporality, false);
      break;
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      writer.writeTag(10, 2); // exponential_histogram
      writePoints(writer, metric.dataPoints, (p) => writeExponentialHistogramPoint(writer, p), metric.aggregationTemporality, false);
      break;
  }
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

/** Gauge, Sum, Histogram, ExponentialHistogram: data_points (1), aggregation_temporality (2, all but a gauge), is_monotonic (3, a sum). */
function writePoints<T>(
  writer: BufferProtobufWriter,
  points: T[],
  writePoint: (p: T) => void,
  temporality: AggregationTemporality | undefined,
  monotonic: boolean,
): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  for (const p of points) {
    writer.writeTag(1, 2); // data_points
    writePoint(p);
  }
  const proto = temporality === AggregationTemporality.DELTA ? 1 : temporality === AggregationTemporality.CUMULATIVE ? 2 : 0;
  if (proto !== 0) {
    writer.writeTag(2, 0); // aggregation_temporality
    writer.writeVarint(proto);
  }
  if (monotonic) {
    writer.writeTag(3, 0); // is_monotonic
    writer.writeVarint(1);
  }
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

function writeNumberPoint(writer: BufferProtobufWriter, point: DataPoint<number>, valueType: ValueType): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  writer.writeTag(2, 1); // start_time_unix_nano
  writeHrTimeAsFixed64(writer, point.startTime);
  writer.writeTag(3, 1); // time_unix_nano
  writeHrTimeAsFixed64(writer, point.endTime);
  if (valueType === ValueType.INT) {
    writer.writeTag(6, 1); // as_int
    writer.writeSfixed64(point.value);
  } else {
    writer.writeTag(4, 1); // as_double
    writer.writeDouble(point.value);
  }
  if (point.attributes) writeAttributes(writer, point.attributes, 7); // attributes
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

/** A count as fixed64 (counts are whole and below 2^53). */
function writeCount(writer: BufferProtobufWriter, count: number): void {
  writer.writeFixed64(count >>> 0, (count / 4294967296) >>> 0);
}

/** HistogramDataPoint and ExponentialHistogramDataPoint share their fields 2 to 5: start_time_unix_nano, time_unix_nano, count, sum. */
function writeHistogramTimesAndCount(writer: BufferProtobufWriter, point: DataPoint<Histogram | ExponentialHistogram>): void {
  const h = point.value;
  writer.writeTag(2, 1); // start_time_unix_nano
  writeHrTimeAsFixed64(writer, point.startTime);
  writer.writeTag(3, 1); // time_unix_nano
  writeHrTimeAsFixed64(writer, point.endTime);
  writer.writeTag(4, 1); // count
  writeCount(writer, h.count);
  if (h.sum !== undefined) {
    writer.writeTag(5, 1); // sum
    writer.writeDouble(h.sum);
  }
}

/** min and max: adjacent fields in both histogram points (11 and 12, 12 and 13). */
function writeMinMax(writer: BufferProtobufWriter, h: Histogram | ExponentialHistogram, minField: number): void {
  if (h.min !== undefined) {
    writer.writeTag(minField, 1);
    writer.writeDouble(h.min);
  }
  if (h.max !== undefined) {
    writer.writeTag(minField + 1, 1);
    writer.writeDouble(h.max);
  }
}

function writeHistogramPoint(writer: BufferProtobufWriter, point: DataPoint<Histogram>): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  const h = point.value;
  writeHistogramTimesAndCount(writer, point);
  if (h.buckets.counts.length > 0) {
    writer.writeTag(6, 2); // bucket_counts, packed
    const countsStart = writer.startLengthDelimited();
    const countsPos = writer.pos;
    for (const c of h.buckets.counts) writeCount(writer, c);
    writer.finishLengthDelimited(countsStart, writer.pos - countsPos);
  }
  if (h.buckets.boundaries.length > 0) {
    writer.writeTag(7, 2); // explicit_bounds, packed
    const boundsStart = writer.startLengthDelimited();
    const boundsPos = writer.pos;
    for (const b of h.buckets.boundaries) writer.writeDouble(b);
    writer.finishLengthDelimited(boundsStart, writer.pos - boundsPos);
  }
  if (point.attributes) writeAttributes(writer, point.attributes, 9); // attributes
  writeMinMax(writer, h, 11); // min, max
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

/** ExponentialHistogramDataPoint.Buckets: offset (1, sint32), bucket_counts (2, packed varints). */
function writeExponentialBuckets(writer: BufferProtobufWriter, offset: number, counts: number[]): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  if (offset !== 0) {
    writer.writeTag(1, 0);
    writer.writeSint32(offset);
  }
  if (counts.length > 0) {
    writer.writeTag(2, 2);
    const countsStart = writer.startLengthDelimited();
    const countsPos = writer.pos;
    for (const c of counts) writer.writeVarint(c);
    writer.finishLengthDelimited(countsStart, writer.pos - countsPos);
  }
  writer.finishLengthDelimited(start, writer.pos - startPos);
}

function writeExponentialHistogramPoint(writer: BufferProtobufWriter, point: DataPoint<ExponentialHistogram>): void {
  const start = writer.startLengthDelimited();
  const startPos = writer.pos;
  const h = point.value;
  if (point.attributes) writeAttributes(writer, point.attributes, 1); // attributes
  writeHistogramTimesAndCount(writer, point);
  if (h.scale !== 0) {
    writer.writeTag(6, 0); // scale
    writer.writeSint32(h.scale);
  }
  writer.writeTag(7, 1); // zero_count
  writeCount(writer, h.zeroCount);
  writer.writeTag(8, 2); // positive
  writeExponentialBuckets(writer, h.positive.offset, h.positive.bucketCounts);
  writer.writeTag(9, 2); // negative
  writeExponentialBuckets(writer, h.negative.offset, h.negative.bucketCounts);
  writeMinMax(writer, h, 12); // min, max
  writer.finishLengthDelimited(start, writer.pos - startPos);
}
