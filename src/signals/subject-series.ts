import type { Attributes } from '@opentelemetry/api';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import type { MetricAttributes, MetricOutput, Subject } from '../mapping/types.js';
import { type Observation, restarted, startOf } from './observed.js';
import { attributesKey, dataPoint, descriptor, OVERFLOW, type SeriesOptions } from './series-common.js';

/**
 * Series that follow one subject's reports (a device's CPU, a port's byte counter), exported at
 * the newest report's own time, the latest value per series, on every collection while reports
 * come:
 *
 * - gauges: the newest point (a point sent again is the same time and value: idempotent in
 *   time-series stores) until the subject's TTL has passed since it was received; then the series
 *   ends. A report that lacks a field sends no point for it, so a partial report changes nothing
 *   it does not carry.
 * - observed counters: a monotonic cumulative sum whose value is the sender's own count, starting
 *   at the sender's boot (report time − uptime); a count or an uptime that goes back starts a new
 *   start time (and the old count's last report goes out first). Never a negative rate, never a
 *   sum of reports. With delta temporality, the increase since the last point exported.
 *
 * A series is identified by its subject and `MetricOutput.seriesKey` (the metric and its own
 * attributes), not by the subject's attributes (a device's name may change, or be learned after
 * its first report): it carries the newest report's. A report older than a series' newest is not
 * exported (stores reject out-of-order samples), nor a second value for a time already exported.
 */

const NO_ATTRIBUTES: MetricAttributes = Object.freeze({}) as MetricAttributes;

interface SeriesBase {
  metric: MetricState;
  own: MetricAttributes;
  subjectAttributes: MetricAttributes;
  receivedNs: bigint;
  ttlNs: bigint;
}

interface GaugeSeries extends SeriesBase {
  timeNs: bigint;
  value: number;
  /** Whether the newest point went out in a collection (its time then takes no other value). */
  exported: boolean;
}

interface SumSeries extends SeriesBase, Observation {
  startNs: bigint;
  /** Past the series budget: its increases go to the overflow series. */
  overflow: boolean;
  /** The last report of a count that started again before it went out. */
  previous: { startNs: bigint; timeNs: bigint; value: number } | undefined;
  /** What went out last (delta temporality subtracts it): its start, time and value. */
  handedStartNs: bigint | undefined;
  handedNs: bigint;
  handedValue: number;
}

type Series = GaugeSeries | SumSeries;

interface MetricState {
  declaration: MetricDeclaration;
  gauge: boolean;
  /** Series not past the budget. */
  count: number;
  overflowGauge: { timeNs: bigint; value: number } | undefined;
  overflowSum: { startNs: bigint; total: number; handed: number; handedNs: bigint } | undefined;
  /** Collection scratch. */
  points: sdkMetrics.DataPoint<number>[];
}

function attributesOf(series: Series): Attributes {
  return series.subjectAttributes === NO_ATTRIBUTES ? series.own : { ...series.subjectAttributes, ...series.own };
}

export class SubjectSeries {
  private readonly metrics = new Map<string, MetricState>();
  /** Subject key ('' for points with none) → its series by series key. */
  private readonly subjects = new Map<string, Map<string, Series>>();
  // The points of one event share their subject: its series are looked up once.
  private lastSubject: Subject | undefined;
  private lastSeries: Map<string, Series> | undefined;

  constructor(private readonly options: SeriesOptions) {}

  declare(declaration: MetricDeclaration): void {
    this.metrics.set(declaration.name, {
      declaration,
      gauge: declaration.instrument === 'gauge',
      count: 0,
      overflowGauge: undefined,
      overflowSum: undefined,
      points: [],
    });
  }

  /** Series held in memory. */
  get size(): number {
    let n = 0;
    for (const set of this.subjects.values()) n += set.size;
    return n;
  }

  /** Series of the metric with the most, counted against the budget (the overflow series aside). */
  get fullestMetric(): number {
    let most = 0;
    for (const metric of this.metrics.values()) most = Math.max(most, metric.count);
    return most;
  }

  record(o: MetricOutput, now: bigint): void {
    let set: Map<string, Series> | undefined;
    if (o.subject !== undefined && o.subject === this.lastSubject) set = this.lastSeries!;
    else {
      const subjectKey = o.subject?.key ?? '';
      set = this.subjects.get(subjectKey);
      if (set === undefined) this.subjects.set(subjectKey, (set = new Map()));
      this.lastSubject = o.subject;
      this.lastSeries = set;
    }
    // A point named by no subject is its metric's by its attributes.
    const key = o.seriesKey ?? `${o.name}\u0000${attributesKey(o.attributes)}`;
    const series = set.get(key);
    if (series !== undefined) {
      if (series.metric.gauge) this.updateGauge(series as GaugeSeries, o, now);
      else this.updateSum(series as SumSeries, o, now);
      return;
    }
    const metric = this.metrics.get(o.name);
    if (metric === undefined) return;
    const created = metric.gauge ? this.newGauge(metric, o, now) : this.newSum(metric, o, now);
    if (created !== undefined) set.set(key, created);
  }

  private newGauge(metric: MetricState, o: MetricOutput, now: bigint): GaugeSeries | undefined {
    if (metric.count >= this.options.maxSeries) {
      // The overflow series mixes many series: only its latest value means anything.
      metric.overflowGauge = { timeNs: o.timeNs, value: o.value };
      return undefined;
    }
    metric.count++;
    return {
      metric,
      own: o.attributes,
      subjectAttributes: o.subject?.attributes ?? NO_ATTRIBUTES,
      receivedNs: now,
      ttlNs: o.subject?.ttlNs ?? this.options.defaultTtlNs,
      timeNs: o.timeNs,
      value: o.value,
      exported: false,
    };
  }

  private updateGauge(series: GaugeSeries, o: MetricOutput, now: bigint): void {
    if (o.timeNs < series.timeNs || (o.timeNs === series.timeNs && series.exported)) return;
    series.timeNs = o.timeNs;
    series.value = o.value;
    series.exported = false;
    series.own = o.attributes;
    series.subjectAttributes = o.subject?.attributes ?? NO_ATTRIBUTES;
    series.receivedNs = now;
    series.ttlNs = o.subject?.ttlNs ?? this.options.defaultTtlNs;
  }

  private newSum(metric: MetricState, o: MetricOutput, now: bigint): SumSeries | undefined {
    // A count is never negative; such a figure is not a count.
    if (!(o.value >= 0)) return undefined;
    const overflow = metric.count >= this.options.maxSeries;
    const series: SumSeries = {
      metric,
      own: o.attributes,
      subjectAttributes: o.subject?.attributes ?? NO_ATTRIBUTES,
      receivedNs: now,
      ttlNs: o.subject?.ttlNs ?? this.options.defaultTtlNs,
      value: o.value,
      timeNs: o.timeNs,
      uptime: o.uptime,
      // Without an uptime the count is taken to start at its first report.
      startNs: 0n,
      overflow,
      previous: undefined,
      handedStartNs: undefined,
      handedNs: 0n,
      handedValue: 0,
    };
    series.startNs = startOf(series) ?? o.timeNs;
    // An overflowing series adds only what it counts from now on.
    if (overflow) metric.overflowSum ??= { startNs: now, total: 0, handed: 0, handedNs: now };
    else metric.count++;
    return series;
  }

  private updateSum(series: SumSeries, o: MetricOutput, now: bigint): void {
    if (!(o.value >= 0) || o.timeNs <= series.timeNs) return;
    const next: Observation = { value: o.value, timeNs: o.timeNs, uptime: o.uptime };
    let increase: number;
    if (restarted(series, next)) {
      // The old count's last report, if it has not gone out, goes out before the new count.
      if (series.handedStartNs !== series.startNs || series.handedNs !== series.timeNs) {
        series.previous = { startNs: series.startNs, timeNs: series.timeNs, value: series.value };
      }
      const start = startOf(next);
      series.startNs = start !== undefined && start > series.timeNs ? start : series.timeNs;
      increase = o.value;
    } else {
      increase = o.value - series.value;
    }
    series.value = o.value;
    series.timeNs = o.timeNs;
    series.uptime = o.uptime;
    series.own = o.attributes;
    series.subjectAttributes = o.subject?.attributes ?? NO_ATTRIBUTES;
    series.receivedNs = now;
    series.ttlNs = o.subject?.ttlNs ?? this.options.defaultTtlNs;
    if (series.overflow) series.metric.overflowSum!.total += increase;
  }

  collect(now: bigint, out: sdkMetrics.MetricData[]): void {
    const delta = this.options.temporality(sdkMetrics.InstrumentType.COUNTER) === sdkMetrics.AggregationTemporality.DELTA;
    for (const [subjectKey, set] of this.subjects) {
      for (const [key, series] of set) {
        if (now - series.receivedNs >= series.ttlNs) {
          set.delete(key);
          if (series.metric.gauge || !(series as SumSeries).overflow) series.metric.count--;
          continue;
        }
        if (series.metric.gauge) this.collectGauge(series as GaugeSeries);
        else this.collectSum(series as SumSeries, delta);
      }
      if (set.size === 0) this.subjects.delete(subjectKey);
    }
    this.lastSubject = this.lastSeries = undefined;
    for (const metric of this.metrics.values()) {
      const points = metric.points;
      metric.points = [];
      if (metric.overflowGauge) {
        points.push(dataPoint(OVERFLOW, metric.overflowGauge.timeNs, metric.overflowGauge.timeNs, metric.overflowGauge.value));
        metric.overflowGauge = undefined;
      }
      const overflow = metric.overflowSum;
      if (overflow) {
        if (!delta) points.push(dataPoint(OVERFLOW, overflow.startNs, now, overflow.total));
        else if (overflow.total > overflow.handed) points.push(dataPoint(OVERFLOW, overflow.handedNs, now, overflow.total - overflow.handed));
        overflow.handed = overflow.total;
        overflow.handedNs = now;
      }
      if (points.length === 0) continue;
      if (metric.gauge) {
        out.push({
          descriptor: descriptor(metric.declaration),
          aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE,
          dataPointType: sdkMetrics.DataPointType.GAUGE,
          dataPoints: points,
        });
      } else {
        out.push({
          descriptor: descriptor(metric.declaration),
          aggregationTemporality: delta ? sdkMetrics.AggregationTemporality.DELTA : sdkMetrics.AggregationTemporality.CUMULATIVE,
          dataPointType: sdkMetrics.DataPointType.SUM,
          isMonotonic: true,
          dataPoints: points,
        });
      }
    }
  }

  private collectGauge(series: GaugeSeries): void {
    series.metric.points.push(dataPoint(attributesOf(series), series.timeNs, series.timeNs, series.value));
    series.exported = true;
  }

  private collectSum(series: SumSeries, delta: boolean): void {
    if (series.overflow) return;
    const points = series.metric.points;
    const attributes = attributesOf(series);
    const previous = series.previous;
    if (previous !== undefined) {
      series.previous = undefined;
      if (!delta) points.push(dataPoint(attributes, previous.startNs, previous.timeNs, previous.value));
      else {
        const same = series.handedStartNs === previous.startNs;
        points.push(
          dataPoint(attributes, same ? series.handedNs : previous.startNs, previous.timeNs, same ? previous.value - series.handedValue : previous.value),
        );
      }
    }
    if (!delta) points.push(dataPoint(attributes, series.startNs, series.timeNs, series.value));
    else if (series.handedStartNs !== series.startNs) points.push(dataPoint(attributes, series.startNs, series.timeNs, series.value));
    // Delta: only what was added since the last point (nothing when no report came).
    else if (series.timeNs !== series.handedNs) points.push(dataPoint(attributes, series.handedNs, series.timeNs, series.value - series.handedValue));
    series.handedStartNs = series.startNs;
    series.handedNs = series.timeNs;
    series.handedValue = series.value;
  }
}
