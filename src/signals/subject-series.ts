import type { Attributes } from '@opentelemetry/api';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import type { MetricAttributes, MetricOutput, Subject } from '../mapping/types.js';
import { type Observation, restarted, startOf } from './observed.js';
import { attributesKey, descriptor, OVERFLOW, PointMaker, type SeriesOptions } from './series-common.js';
import { EXPORTED, OVERFLOWING, type SeriesKind, SeriesTable } from './series-table.js';

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
 *
 * Each subject's series are held as the columns of a SeriesTable (./series-table.ts says why).
 */

const NO_ATTRIBUTES: MetricAttributes = Object.freeze({}) as MetricAttributes;

interface MetricState {
  declaration: MetricDeclaration;
  /** One object for every part of every collection (requests join a metric's parts by it). */
  descriptor: sdkMetrics.MetricDescriptor;
  gauge: boolean;
  /** Series not past the budget. */
  count: number;
  overflowGauge: { timeNs: bigint; value: number } | undefined;
  overflowSum: { startNs: bigint; total: number; handed: number; handedNs: bigint } | undefined;
  /** Points gathered for the next part of a collection. */
  points: sdkMetrics.DataPoint<number>[];
}

type Table = SeriesTable<MetricState>;

// Series kinds shared by the subjects' series: past this many keys, a series has a kind of its own
// (keys made from unbounded values must not fill memory that nothing releases).
const MAX_KINDS = 10_000;

function attributesOf(table: Table, row: number): Attributes {
  const own = table.kinds[row]!.own;
  const subject = table.attributes[row]!;
  return subject === NO_ATTRIBUTES ? own : { ...subject, ...own };
}

function uptimeOf(figure: number): number | undefined {
  return Number.isNaN(figure) ? undefined : figure;
}

export class SubjectSeries {
  private readonly metrics = new Map<string, MetricState>();
  /** Subject key ('' for points with none) → its series. */
  private readonly subjects = new Map<string, Table>();
  private readonly kinds = new Map<string, SeriesKind<MetricState>>();
  // The points of one event share their subject: its series are looked up once.
  private lastSubject: Subject | undefined;
  private lastTable: Table | undefined;
  /** The event in hand added series to `lastTable`: its columns are trimmed once the event is over. */
  private grown = false;

  constructor(private readonly options: SeriesOptions) {}

  declare(declaration: MetricDeclaration): void {
    this.metrics.set(declaration.name, {
      declaration,
      descriptor: descriptor(declaration),
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
    for (const table of this.subjects.values()) n += table.rows;
    return n;
  }

  /** Series of the metric with the most, counted against the budget (the overflow series aside). */
  get fullestMetric(): number {
    let most = 0;
    for (const metric of this.metrics.values()) most = Math.max(most, metric.count);
    return most;
  }

  record(o: MetricOutput, now: bigint): void {
    let table: Table | undefined;
    if (o.subject !== undefined && o.subject === this.lastSubject) table = this.lastTable!;
    else {
      this.settle();
      const subjectKey = o.subject?.key ?? '';
      table = this.subjects.get(subjectKey);
      if (table === undefined) this.subjects.set(subjectKey, (table = new SeriesTable()));
      this.lastSubject = o.subject;
      this.lastTable = table;
    }
    // A point named by no subject is its metric's by its attributes.
    const key = o.seriesKey ?? `${o.name}\u0000${attributesKey(o.attributes)}`;
    const row = table.find(key);
    if (row >= 0) {
      if (table.kinds[row]!.metric.gauge) this.updateGauge(table, row, o, now);
      else this.updateSum(table, row, o, now);
      return;
    }
    const metric = this.metrics.get(o.name);
    if (metric === undefined) return;
    const added = metric.gauge ? this.newGauge(table, metric, key, o, now) : this.newSum(table, metric, key, o, now);
    this.grown ||= added;
  }

  /** The event that added series is over: its subject's columns are trimmed to their length. */
  private settle(): void {
    if (this.grown) this.lastTable?.trim();
    this.grown = false;
  }

  private kind(key: string, metric: MetricState, own: MetricAttributes): SeriesKind<MetricState> {
    let kind = this.kinds.get(key);
    if (kind === undefined) {
      kind = { key, metric, own };
      if (this.kinds.size < MAX_KINDS) this.kinds.set(key, kind);
    }
    return kind;
  }

  private newGauge(table: Table, metric: MetricState, key: string, o: MetricOutput, now: bigint): boolean {
    if (metric.count >= this.options.maxSeries) {
      // The overflow series mixes many series: only its latest value means anything.
      metric.overflowGauge = { timeNs: o.timeNs, value: o.value };
      return false;
    }
    metric.count++;
    const ttlNs = o.subject?.ttlNs ?? this.options.defaultTtlNs;
    table.add(this.kind(key, metric, o.attributes), o.subject?.attributes ?? NO_ATTRIBUTES, ttlNs, now, o.timeNs, o.value, 0, NaN, 0n);
    return true;
  }

  private updateGauge(table: Table, row: number, o: MetricOutput, now: bigint): void {
    const timeNs = table.time(row);
    if (o.timeNs < timeNs || (o.timeNs === timeNs && table.flags(row) & EXPORTED)) return;
    table.report(row, o.timeNs, o.value, NaN);
    table.setFlags(row, 0);
    table.renew(row, o.subject?.attributes ?? NO_ATTRIBUTES, now, o.subject?.ttlNs ?? this.options.defaultTtlNs);
  }

  private newSum(table: Table, metric: MetricState, key: string, o: MetricOutput, now: bigint): boolean {
    // A count is never negative; such a figure is not a count.
    if (!(o.value >= 0)) return false;
    const overflow = metric.count >= this.options.maxSeries;
    // Without an uptime the count is taken to start at its first report.
    const startNs = startOf({ value: o.value, timeNs: o.timeNs, uptime: o.uptime }) ?? o.timeNs;
    const ttlNs = o.subject?.ttlNs ?? this.options.defaultTtlNs;
    table.add(
      this.kind(key, metric, o.attributes),
      o.subject?.attributes ?? NO_ATTRIBUTES,
      ttlNs,
      now,
      o.timeNs,
      o.value,
      overflow ? OVERFLOWING : 0,
      o.uptime ?? NaN,
      startNs,
    );
    // An overflowing series adds only what it counts from now on.
    if (overflow) metric.overflowSum ??= { startNs: now, total: 0, handed: 0, handedNs: now };
    else metric.count++;
    return true;
  }

  private updateSum(table: Table, row: number, o: MetricOutput, now: bigint): void {
    const timeNs = table.time(row);
    if (!(o.value >= 0) || o.timeNs <= timeNs) return;
    const value = table.value(row);
    const flags = table.flags(row);
    const next: Observation = { value: o.value, timeNs: o.timeNs, uptime: o.uptime };
    let increase: number;
    if (restarted({ value, uptime: uptimeOf(table.uptime(row)) }, next)) {
      // The old count's last report, if it has not gone out, goes out before the new count.
      if (!(flags & (EXPORTED | OVERFLOWING))) table.setPrevious(row, { startNs: table.start(row), timeNs, value });
      const start = startOf(next);
      table.setStart(row, start !== undefined && start > timeNs ? start : timeNs);
      increase = o.value;
    } else {
      increase = o.value - value;
    }
    table.report(row, o.timeNs, o.value, o.uptime ?? NaN);
    table.setFlags(row, flags & ~EXPORTED);
    table.renew(row, o.subject?.attributes ?? NO_ATTRIBUTES, now, o.subject?.ttlNs ?? this.options.defaultTtlNs);
    if (flags & OVERFLOWING) table.kinds[row]!.metric.overflowSum!.total += increase;
  }

  /**
   * One collection, handed on whenever `size` points are gathered (and the rest at the end), each
   * subject's series whole. Reports recorded while a part is out are in this collection if their
   * subject has not been reached yet, else in the next. A collection given up on (`return()`)
   * leaves the subjects not reached for the next one.
   */
  *collect(now: bigint, size: number): Generator<sdkMetrics.MetricData[]> {
    const delta = this.options.temporality(sdkMetrics.InstrumentType.COUNTER) === sdkMetrics.AggregationTemporality.DELTA;
    const made = new PointMaker();
    this.settle();
    let gathered = 0;
    try {
      for (const [subjectKey, table] of this.subjects) {
        gathered += this.collectTable(table, now, delta, made);
        if (table.rows === 0) {
          this.subjects.delete(subjectKey);
          // A report of this subject arriving while a part is out must not go to the deleted table.
          if (this.lastTable === table) this.lastSubject = this.lastTable = undefined;
        }
        if (gathered >= size) {
          yield this.part(delta);
          gathered = 0;
        }
      }
      for (const metric of this.metrics.values()) {
        if (metric.overflowGauge) {
          metric.points.push(made.point(OVERFLOW, metric.overflowGauge.timeNs, metric.overflowGauge.timeNs, metric.overflowGauge.value));
          metric.overflowGauge = undefined;
        }
        const overflow = metric.overflowSum;
        if (overflow) {
          if (!delta) metric.points.push(made.point(OVERFLOW, overflow.startNs, now, overflow.total));
          else if (overflow.total > overflow.handed) metric.points.push(made.point(OVERFLOW, overflow.handedNs, now, overflow.total - overflow.handed));
          overflow.handed = overflow.total;
          overflow.handedNs = now;
        }
      }
      const rest = this.part(delta);
      if (rest.length > 0) yield rest;
    } finally {
      // Points gathered for a part not handed on (a collection given up on) belong to no collection.
      for (const metric of this.metrics.values()) metric.points = [];
    }
  }

  /** Gathers the points of a subject's series, ending those past their TTL; returns how many points. */
  private collectTable(table: Table, now: bigint, delta: boolean, made: PointMaker): number {
    let gathered = 0;
    let kept = 0;
    for (let row = 0; row < table.rows; row++) {
      const metric = table.kinds[row]!.metric;
      if (table.expired(row, now)) {
        if (metric.gauge || !(table.flags(row) & OVERFLOWING)) metric.count--;
        continue;
      }
      if (kept !== row) table.move(row, kept);
      gathered += metric.gauge ? this.collectGauge(table, kept, made) : this.collectSum(table, kept, delta, made);
      kept++;
    }
    table.truncate(kept);
    return gathered;
  }

  /** The points gathered so far, as one piece per metric. */
  private part(delta: boolean): sdkMetrics.MetricData[] {
    const out: sdkMetrics.MetricData[] = [];
    for (const metric of this.metrics.values()) {
      const points = metric.points;
      if (points.length === 0) continue;
      metric.points = [];
      if (metric.gauge) {
        out.push({
          descriptor: metric.descriptor,
          aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE,
          dataPointType: sdkMetrics.DataPointType.GAUGE,
          dataPoints: points,
        });
      } else {
        out.push({
          descriptor: metric.descriptor,
          aggregationTemporality: delta ? sdkMetrics.AggregationTemporality.DELTA : sdkMetrics.AggregationTemporality.CUMULATIVE,
          dataPointType: sdkMetrics.DataPointType.SUM,
          isMonotonic: true,
          dataPoints: points,
        });
      }
    }
    return out;
  }

  /** Gathers the series' point; returns how many points it gathered. */
  private collectGauge(table: Table, row: number, made: PointMaker): number {
    const timeNs = table.time(row);
    table.kinds[row]!.metric.points.push(made.point(attributesOf(table, row), timeNs, timeNs, table.value(row)));
    table.setFlags(row, table.flags(row) | EXPORTED);
    return 1;
  }

  private collectSum(table: Table, row: number, delta: boolean, made: PointMaker): number {
    if (table.flags(row) & OVERFLOWING) return 0;
    const points = table.kinds[row]!.metric.points;
    const before = points.length;
    const attributes = attributesOf(table, row);
    const startNs = table.start(row);
    const timeNs = table.time(row);
    const value = table.value(row);
    const previous = table.previous(row);
    if (!delta) {
      if (previous !== undefined) points.push(made.point(attributes, previous.startNs, previous.timeNs, previous.value));
      points.push(made.point(attributes, startNs, timeNs, value));
    } else {
      // Only what was added since the last point (nothing when no report came).
      const handed = table.handed(row);
      if (previous !== undefined) {
        const same = handed !== undefined && handed.startNs === previous.startNs;
        points.push(made.point(attributes, same ? handed.timeNs : previous.startNs, previous.timeNs, same ? previous.value - handed.value : previous.value));
      }
      if (handed === undefined || handed.startNs !== startNs) points.push(made.point(attributes, startNs, timeNs, value));
      else if (timeNs !== handed.timeNs) points.push(made.point(attributes, handed.timeNs, timeNs, value - handed.value));
      if (handed === undefined) table.setHanded(row, { startNs, timeNs, value });
      else {
        handed.startNs = startNs;
        handed.timeNs = timeNs;
        handed.value = value;
      }
    }
    table.setPrevious(row, undefined);
    table.setFlags(row, table.flags(row) | EXPORTED);
    return points.length - before;
  }
}
