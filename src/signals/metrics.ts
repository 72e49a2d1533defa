import { type Attributes, type Counter, type Histogram, type Meter, ValueType } from '@opentelemetry/api';
import { emptyResource } from '@opentelemetry/resources';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import { pointAttributes } from '../mapping/attributes.js';
import type { MetricDeclaration } from '../mapping/loader.js';
import { nowNs, nsToHrTime } from '../mapping/time.js';
import type { MetricOutput } from '../mapping/types.js';
import { packageVersion } from '../package-root.js';
import { SCOPE_NAME } from './providers.js';
import { isSubjectMetric } from './series-common.js';
import type { SubjectMetrics } from './subject-metrics.js';

/**
 * Gauges that carry the event's own time.
 *
 * The SDK's synchronous gauge stamps a point with the collection time, so a 10-minute
 * client-latency window measured at 10:00 would land at 10:01 when the bridge exports it. The
 * supported way to hand the SDK points of our own making is a MetricProducer given to the
 * MetricReader (`metricReaderOptions.metricProducers`): on every collection the reader asks
 * it for its ScopeMetrics and exports them beside the SDK's own instruments.
 *
 * What a series reports on each collection:
 * - `sample` (a measurement at a moment: latency, loss, occupancy): every point received since
 *   the last collection, at its event time; then, while the newest point is younger than
 *   SAMPLE_HOLD_NS (measured from receipt), that point again, same time and value. Re-sending an
 *   identical point is idempotent in time-series stores and repairs a failed export; after the
 *   hold the series is dropped, so a site that stopped reporting stops being drawn.
 * - `state` (holds until the next event: device up, a zone's limit): new points at their event
 *   time, then the current value on every collection stamped with the collection time, so
 *   Prometheus-style stores (5-minute lookback) never see the state go stale between events.
 * Points older than the series' newest point are not exported (stores reject out-of-order
 * samples); the log record of that event still carries it. A state change older than the last
 * exported point is stamped 1 ns after it, so the series stays in order.
 */

export const SAMPLE_HOLD_NS = 5n * 60n * 1_000_000_000n;
/**
 * Series per metric, for our gauges and (through the reader's cardinalitySelector) the SDK's
 * instruments; further series share one `otel.metric.overflow` series. The SDK's default of 2000
 * is too low for Mist: a large organisation has thousands of devices (mist.device.up) and sites.
 */
export const MAX_SERIES = 10_000;
const MAX_PENDING = 64;
const OVERFLOW: Attributes = { 'otel.metric.overflow': true };

interface Point {
  timeNs: bigint;
  value: number;
  attributes: Attributes;
}

interface Series {
  /** The newest point's attributes (with an identity, the others may have changed). */
  attributes: Attributes;
  /** Received since the last collection, in time order. */
  pending: Point[];
  /** Handed to collections the backend has not taken yet: sent again with the next one. */
  inflight: Point[];
  newest: Point | undefined;
  /** Event time of the newest point (its stamp can be later for a state gauge). */
  newestEventNs: bigint;
  receivedNs: bigint;
  /** Time of the last point handed to a collection. */
  exportedNs: bigint;
}

interface GaugeState {
  declaration: MetricDeclaration;
  series: Map<string, Series>;
}

function identityKey(identity: readonly string[], attributes: Attributes): string {
  let key = '';
  for (const k of identity) key += `${String(attributes[k])}\u0001${typeof attributes[k]}\u0002`;
  return key;
}

function seriesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length > 1) keys.sort();
  let key = '';
  for (const k of keys) key += `${k}\u0000${String(attributes[k])}\u0001${typeof attributes[k]}\u0002`;
  return key;
}

export class EventTimeGauges implements sdkMetrics.MetricProducer {
  private readonly gauges = new Map<string, GaugeState>();

  constructor(private readonly now: () => bigint = nowNs) {}

  declare(declaration: MetricDeclaration): void {
    this.gauges.set(declaration.name, { declaration, series: new Map() });
  }

  record(name: string, value: number, attributes: Attributes, timeNs: bigint): void {
    const gauge = this.gauges.get(name);
    if (!gauge) return;
    const identity = gauge.declaration.identity;
    let key = identity ? identityKey(identity, attributes) : seriesKey(attributes);
    let series = gauge.series.get(key);
    let overflow = false;
    if (!series) {
      if (gauge.series.size >= MAX_SERIES) {
        overflow = true;
        key = seriesKey(OVERFLOW);
        attributes = OVERFLOW;
        series = gauge.series.get(key);
      }
      if (!series) {
        series = { attributes, pending: [], inflight: [], newest: undefined, newestEventNs: 0n, receivedNs: 0n, exportedNs: 0n };
        gauge.series.set(key, series);
      }
    }
    // Order by the events' own times; a state change's stamp may be later (see above).
    if (series.newest && timeNs < series.newestEventNs) return;
    series.newestEventNs = timeNs;
    const stamp = gauge.declaration.gauge === 'state' && timeNs <= series.exportedNs ? series.exportedNs + 1n : timeNs;
    // Same stamp: the later event wins. The overflow series mixes many series: only its latest value means anything.
    if (overflow || series.pending.at(-1)?.timeNs === stamp) series.pending.pop();
    // Bounded while the backend is away: the oldest points not taken yet go first.
    if (series.pending.length + series.inflight.length >= MAX_PENDING) {
      if (series.inflight.length > 0) series.inflight.shift();
      else series.pending.shift();
    }
    const point = { timeNs: stamp, value, attributes };
    series.pending.push(point);
    series.newest = point;
    series.attributes = attributes;
    series.receivedNs = this.now();
  }

  /**
   * The export of the last collection is over: taken by the backend (or given up on as malformed),
   * its points are done; otherwise they go out again with the next collection, so a failed export
   * loses no sample (within MAX_PENDING points a series).
   */
  collected(delivered: boolean): void {
    if (!delivered) return;
    for (const { series } of this.gauges.values()) for (const s of series.values()) s.inflight = [];
  }

  async collect(): Promise<sdkMetrics.CollectionResult> {
    const now = this.now();
    const metrics: sdkMetrics.GaugeMetricData[] = [];
    for (const { declaration, series } of this.gauges.values()) {
      const dataPoints: sdkMetrics.DataPoint<number>[] = [];
      const state = declaration.gauge === 'state';
      for (const [key, s] of series) {
        if (s.pending.length > 0 || s.inflight.length > 0) {
          s.inflight = s.inflight.concat(s.pending);
          s.pending = [];
          for (const p of s.inflight) dataPoints.push(point(p.attributes, p.timeNs, p.value));
          s.exportedNs = s.inflight.at(-1)!.timeNs;
        } else if (state) {
          const t = now > s.exportedNs ? now : s.exportedNs + 1n;
          dataPoints.push(point(s.attributes, t, s.newest!.value));
          s.exportedNs = t;
        } else if (now - s.receivedNs < SAMPLE_HOLD_NS) {
          dataPoints.push(point(s.attributes, s.newest!.timeNs, s.newest!.value));
        } else {
          series.delete(key);
        }
      }
      if (dataPoints.length > 0) {
        metrics.push({
          descriptor: { name: declaration.name, description: declaration.description, unit: declaration.unit, valueType: ValueType.DOUBLE },
          aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE,
          dataPointType: sdkMetrics.DataPointType.GAUGE,
          dataPoints,
        });
      }
    }
    return {
      resourceMetrics: {
        // The reader keeps the SDK's resource and takes only our scope metrics.
        resource: emptyResource(),
        scopeMetrics: metrics.length > 0 ? [{ scope: { name: SCOPE_NAME, version: packageVersion }, metrics }] : [],
      },
      errors: [],
    };
  }
}

function point(attributes: Attributes, timeNs: bigint, value: number): sdkMetrics.DataPoint<number> {
  const t = nsToHrTime(timeNs);
  return { startTime: t, endTime: t, attributes, value };
}

/** Attribute sets as a map key; no sorting: the same set in another key order only costs an entry. */
function attributesKey(name: string, attributes: Attributes): string {
  let key = name;
  for (const k in attributes) {
    const v = attributes[k];
    key += `\u0000${k}\u0001${typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b'}${String(v)}`;
  }
  return key;
}

/** Records mapped metric values on SDK instruments and the producers beside them. */
export interface MetricRecorder {
  record(outputs: readonly MetricOutput[]): void;
  /** Hand what is recorded to the SDK's instruments; called before every collection. */
  flush(): void;
}

interface PendingAdd {
  counter: Counter;
  value: number;
  attributes: Attributes;
}

// Distinct attribute sets held before a collection asks for them: past it they go to the SDK
// at once, so a stream of unique values cannot grow the table between collections.
const MAX_PENDING_SERIES = 4096;

/**
 * Records mapped metric values: counters and histograms on SDK instruments (they aggregate, and
 * a sum's time is its collection time by definition), gauges on EventTimeGauges.
 *
 * Counter increments are summed per attribute set and handed to the SDK by `flush`, which the
 * export loop calls just before it collects: the SDK hashes (sorts and stringifies) the
 * attributes on every add, and between collections most events of a topic repeat a few
 * attribute sets (one add per set and collection instead of one per event).
 *
 * Observed counters, aggregates over subjects and the gauges of files with a subject go to
 * `subjects` (src/signals/subject-metrics.ts), which must be one of the reader's producers.
 */
export function createMetricRecorder(
  meter: Meter,
  declarations: readonly MetricDeclaration[],
  gauges: EventTimeGauges,
  subjects: SubjectMetrics,
): MetricRecorder {
  const counters = new Map<string, Counter>();
  const histograms = new Map<string, Histogram>();
  const ofSubjects = new Set<string>();
  for (const d of declarations) {
    if (isSubjectMetric(d)) {
      subjects.declare(d);
      ofSubjects.add(d.name);
      continue;
    }
    const options = { unit: d.unit, description: d.description };
    if (d.instrument === 'counter') counters.set(d.name, meter.createCounter(d.name, options));
    else if (d.instrument === 'histogram') {
      histograms.set(d.name, meter.createHistogram(d.name, d.buckets ? { ...options, advice: { explicitBucketBoundaries: d.buckets } } : options));
    } else gauges.declare(d);
  }
  const pending = new Map<string, PendingAdd>();
  const flush = (): void => {
    for (const p of pending.values()) p.counter.add(p.value, p.attributes);
    pending.clear();
  };
  return {
    record(outputs: readonly MetricOutput[]): void {
      let now: bigint | undefined;
      for (const o of outputs) {
        if (ofSubjects.has(o.name)) {
          subjects.record(o, (now ??= subjects.now()));
          continue;
        }
        const counter = counters.get(o.name);
        if (counter) {
          // A counter only goes up; a negative figure in an event is not a count.
          if (!(o.value >= 0)) continue;
          const attributes = pointAttributes(o);
          const key = attributesKey(o.name, attributes);
          const p = pending.get(key);
          if (p) p.value += o.value;
          else {
            if (pending.size >= MAX_PENDING_SERIES) flush();
            pending.set(key, { counter, value: o.value, attributes });
          }
          continue;
        }
        const histogram = histograms.get(o.name);
        if (histogram) histogram.record(o.value, pointAttributes(o));
        else gauges.record(o.name, o.value, o.attributes, o.timeNs);
      }
    },
    flush,
  };
}
