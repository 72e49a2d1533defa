import type { Attributes } from '@opentelemetry/api';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import type { MetricOutput } from '../mapping/types.js';
import { plausibleStart, restarted, type Observation } from './observed.js';
import { attributesKey, dataPoint, descriptor, OVERFLOW, type SeriesOptions } from './series-common.js';

/**
 * Series that follow one subject's reports (a device's CPU, a port's byte counter), each exported
 * at the report's own time and kept while reports come:
 *
 * - gauges: every point received since the last collection, at its time; then the newest again
 *   (same time, same value: idempotent in time-series stores) until the subject's TTL has passed
 *   since it was received; then the series ends. A report that lacks a field sends no point for
 *   it, so a partial report changes nothing it does not carry.
 * - observed counters: a monotonic cumulative sum whose value is the sender's own count, starting
 *   at the sender's boot (report time − uptime); a count or an uptime that goes back starts a new
 *   start time. Never a negative rate, never a sum of reports. With delta temporality, the
 *   increase since the last point exported.
 *
 * A series is identified by its subject and its own attributes (`MetricOutput.seriesKey`), not
 * by the subject's (a device's name may change, or be learned after its first report): it carries
 * the newest report's attributes. Points older than a series' newest are not exported (stores
 * reject out-of-order samples), nor a second value for a time already exported.
 */

const MAX_PENDING = 64;

interface GaugePoint {
  timeNs: bigint;
  value: number;
}

interface GaugeSeries {
  attributes: Attributes;
  pending: GaugePoint[];
  newest: GaugePoint;
  /** Whether the newest point went out in a collection (its time then takes no other value). */
  newestExported: boolean;
  receivedNs: bigint;
  ttlNs: bigint;
}

interface SumPoint {
  startNs: bigint;
  timeNs: bigint;
  value: number;
}

interface SumSeries {
  attributes: Attributes;
  last: Observation;
  startNs: bigint;
  pending: SumPoint[];
  /** The last point handed to a collection (delta temporality subtracts it). */
  exported: SumPoint | undefined;
  receivedNs: bigint;
  ttlNs: bigint;
  /** Past the series budget: its increases go to the overflow series. */
  overflow: boolean;
}

interface GaugeMetric {
  declaration: MetricDeclaration;
  series: Map<string, GaugeSeries>;
  overflow: GaugeSeries | undefined;
}

interface SumMetric {
  declaration: MetricDeclaration;
  series: Map<string, SumSeries>;
  /** Series not past the budget. */
  regular: number;
  overflow: { startNs: bigint; total: number; exported: number; exportedNs: bigint } | undefined;
}

function keyOf(o: MetricOutput): string {
  return o.subject ? `${o.subject.key}\u0000${o.seriesKey ?? ''}` : attributesKey(o.attributes);
}

export class SubjectSeries {
  private readonly gauges = new Map<string, GaugeMetric>();
  private readonly sums = new Map<string, SumMetric>();

  constructor(private readonly options: SeriesOptions) {}

  declare(declaration: MetricDeclaration): void {
    if (declaration.instrument === 'gauge') this.gauges.set(declaration.name, { declaration, series: new Map(), overflow: undefined });
    else this.sums.set(declaration.name, { declaration, series: new Map(), regular: 0, overflow: undefined });
  }

  record(o: MetricOutput): void {
    const gauge = this.gauges.get(o.name);
    if (gauge) this.recordGauge(gauge, o);
    else {
      const sum = this.sums.get(o.name);
      if (sum) this.recordSum(sum, o);
    }
  }

  private recordGauge(metric: GaugeMetric, o: MetricOutput): void {
    const now = this.options.now();
    const ttlNs = o.subject?.ttlNs ?? this.options.defaultTtlNs;
    const key = keyOf(o);
    let series = metric.series.get(key);
    if (series === undefined) {
      if (metric.series.size >= this.options.maxSeries) {
        // The overflow series mixes many series: only its latest value means anything.
        const point = { timeNs: o.timeNs, value: o.value };
        metric.overflow = { attributes: OVERFLOW, pending: [point], newest: point, newestExported: false, receivedNs: now, ttlNs };
        return;
      }
      const point = { timeNs: o.timeNs, value: o.value };
      metric.series.set(key, { attributes: o.attributes, pending: [point], newest: point, newestExported: false, receivedNs: now, ttlNs });
      return;
    }
    const newest = series.newest;
    if (o.timeNs < newest.timeNs || (o.timeNs === newest.timeNs && series.newestExported)) return;
    const point = { timeNs: o.timeNs, value: o.value };
    // Same time, not exported yet: the later report wins.
    if (o.timeNs === newest.timeNs) series.pending.pop();
    if (series.pending.length >= MAX_PENDING) series.pending.shift();
    series.pending.push(point);
    series.newest = point;
    series.newestExported = false;
    series.attributes = o.attributes;
    series.receivedNs = now;
    series.ttlNs = ttlNs;
  }

  private recordSum(metric: SumMetric, o: MetricOutput): void {
    const now = this.options.now();
    const ttlNs = o.subject?.ttlNs ?? this.options.defaultTtlNs;
    const observation: Observation = { value: o.value, timeNs: o.timeNs, startNs: plausibleStart(o.startNs, o.timeNs) };
    // A count is never negative; such a figure is not a count.
    if (!(o.value >= 0)) return;
    const key = keyOf(o);
    let series = metric.series.get(key);
    if (series === undefined) {
      const overflow = metric.regular >= this.options.maxSeries;
      // Without an uptime the count is taken to start at its first report.
      const startNs = observation.startNs ?? o.timeNs;
      series = { attributes: o.attributes, last: observation, startNs, pending: [], exported: undefined, receivedNs: now, ttlNs, overflow };
      metric.series.set(key, series);
      // An overflowing series adds only what it counts from now on.
      if (overflow) metric.overflow ??= { startNs: now, total: 0, exported: 0, exportedNs: now };
      else {
        metric.regular++;
        series.pending.push({ startNs, timeNs: o.timeNs, value: o.value });
      }
      return;
    }
    if (o.timeNs <= series.last.timeNs) return;
    let increase: number;
    if (restarted(series.last, observation)) {
      const start = observation.startNs;
      series.startNs = start !== undefined && start > series.last.timeNs ? start : series.last.timeNs;
      increase = o.value;
    } else {
      increase = o.value - series.last.value;
    }
    series.last = observation;
    series.attributes = o.attributes;
    series.receivedNs = now;
    series.ttlNs = ttlNs;
    if (series.overflow) {
      metric.overflow!.total += increase;
      return;
    }
    const point = { startNs: series.startNs, timeNs: o.timeNs, value: o.value };
    // Cumulative: of several reports of one count between collections only the last says anything new.
    if (series.pending.at(-1)?.startNs === point.startNs) series.pending.pop();
    if (series.pending.length >= MAX_PENDING) series.pending.shift();
    series.pending.push(point);
  }

  collect(now: bigint, out: sdkMetrics.MetricData[]): void {
    for (const metric of this.gauges.values()) {
      const points: sdkMetrics.DataPoint<number>[] = [];
      for (const [key, series] of metric.series) if (!this.collectGauge(series, now, points)) metric.series.delete(key);
      if (metric.overflow && !this.collectGauge(metric.overflow, now, points)) metric.overflow = undefined;
      if (points.length > 0) {
        out.push({
          descriptor: descriptor(metric.declaration),
          aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE,
          dataPointType: sdkMetrics.DataPointType.GAUGE,
          dataPoints: points,
        });
      }
    }
    const delta = this.options.temporality(sdkMetrics.InstrumentType.COUNTER) === sdkMetrics.AggregationTemporality.DELTA;
    for (const metric of this.sums.values()) {
      const points: sdkMetrics.DataPoint<number>[] = [];
      for (const [key, series] of metric.series) {
        const live = now - series.receivedNs < series.ttlNs;
        if (series.overflow) {
          if (!live) metric.series.delete(key);
          continue;
        }
        if (series.pending.length > 0) {
          for (const p of series.pending) {
            const base = series.exported;
            if (!delta) points.push(dataPoint(series.attributes, p.startNs, p.timeNs, p.value));
            else if (base !== undefined && base.startNs === p.startNs) points.push(dataPoint(series.attributes, base.timeNs, p.timeNs, p.value - base.value));
            else points.push(dataPoint(series.attributes, p.startNs, p.timeNs, p.value));
            series.exported = p;
          }
          series.pending = [];
        } else if (live) {
          // Cumulative: the last point again keeps the series current; delta: nothing was added.
          const p = series.exported!;
          if (!delta) points.push(dataPoint(series.attributes, p.startNs, p.timeNs, p.value));
        } else {
          metric.series.delete(key);
          metric.regular--;
        }
      }
      const overflow = metric.overflow;
      if (overflow) {
        if (!delta) points.push(dataPoint(OVERFLOW, overflow.startNs, now, overflow.total));
        else if (overflow.total > overflow.exported) points.push(dataPoint(OVERFLOW, overflow.exportedNs, now, overflow.total - overflow.exported));
        overflow.exported = overflow.total;
        overflow.exportedNs = now;
      }
      if (points.length > 0) {
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

  /** Adds the series' points; false when it has ended. */
  private collectGauge(series: GaugeSeries, now: bigint, points: sdkMetrics.DataPoint<number>[]): boolean {
    if (series.pending.length > 0) {
      for (const p of series.pending) points.push(dataPoint(series.attributes, p.timeNs, p.timeNs, p.value));
      series.pending = [];
      series.newestExported = true;
      return true;
    }
    if (now - series.receivedNs >= series.ttlNs) return false;
    points.push(dataPoint(series.attributes, series.newest.timeNs, series.newest.timeNs, series.newest.value));
    return true;
  }

  /** Series held in memory (for the bridge's own telemetry and tests). */
  get size(): number {
    let n = 0;
    for (const m of this.gauges.values()) n += m.series.size;
    for (const m of this.sums.values()) n += m.series.size;
    return n;
  }
}
