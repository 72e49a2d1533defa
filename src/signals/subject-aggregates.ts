import type { Attributes } from '@opentelemetry/api';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import type { MetricOutput, Subject } from '../mapping/types.js';
import { type Observation, restarted, startOf } from './observed.js';
import { descriptor, OVERFLOW, PointMaker, type SeriesOptions } from './series-common.js';

/**
 * Metrics over many subjects (wireless clients) that never name one: each subject's latest report
 * is its contribution to the series of its attribute set (site, SSID, band…), kept in memory under
 * its key until its TTL passes without a report. On every collection:
 *
 * - `count` (gauge): the live subjects of each attribute set;
 * - `sum` (gauge): the sum of their latest values;
 * - `latest` (histogram): the distribution of their latest values. OTLP has no "gauge histogram",
 *   so each collection adds the current distribution to a cumulative histogram (rates and
 *   quantiles over a window then describe the clients of that window); with delta temporality
 *   each point is the distribution at that collection;
 * - `sum` of an observed counter: a monotonic sum of every subject's increases (its count going
 *   back, a reconnect, counts from zero again). A subject first seen adds its whole count only
 *   if it connected after this process started and within its TTL (else it was counted before,
 *   or its past is not ours to add).
 *
 * A subject that moves to another attribute set (a client roaming to another band) moves its
 * contribution; one whose report lacks a value keeps its last one. An attribute set with no live
 * subject left is exported once more (a count of 0) and then ends.
 */

interface Group {
  metric: AggregateMetric;
  attributes: Attributes;
  /** Contributions of live subjects. */
  live: number;
  /** Sum of their values (gauges, histograms). */
  sum: number;
  /** Histograms: live values per bucket. */
  buckets: number[];
  /** Observed counters: increases added so far. */
  total: number;
  startNs: bigint;
  /** Cumulative histograms: every collection's distribution added up. */
  accumulated: { count: number; sum: number; buckets: number[] } | undefined;
  /** Delta temporality: what the last collection exported, and when. */
  exportedTotal: number;
  exportedNs: bigint;
}

interface AggregateMetric {
  declaration: MetricDeclaration;
  /** One object for every part of every collection (requests join a metric's parts by it). */
  descriptor: sdkMetrics.MetricDescriptor;
  kind: 'count' | 'sum' | 'latest' | 'observed';
  boundaries: number[];
  groups: Map<string, Group>;
  overflow: Group | undefined;
}

/**
 * A subject and its contributions, one per series key (metric and own attributes) it reported,
 * the i-th in `keys[i]`, `groups[i]` and `figures[2i]`/`figures[2i + 1]`: arrays rather than an
 * object per contribution, as a large organisation holds tens of thousands of subjects.
 */
interface SubjectState {
  // Times as numbers, written in place (see SubjectMemory in ../mapping/subjects.ts for why).
  /** When its last report was received, and how long it lives without another. */
  seenNs: number;
  ttlNs: number;
  /** Its last report's time: an older report changes nothing. */
  timeNs: number;
  /** What a later report under the same key replaces. Shared by the subjects that have the same
   * keys (every client of one mapping): copied, not changed, when a subject adds one. */
  keys: readonly string[];
  groups: Group[];
  /** Each contribution's value and, for observed counters, the sender's uptime with it (NaN when
   * not said): numbers only, which V8 keeps unboxed. */
  figures: number[];
}

// The SDK's default explicit boundaries, for a histogram whose file gives none.
const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

function bucketOf(boundaries: readonly number[], value: number): number {
  let i = 0;
  while (i < boundaries.length && value > boundaries[i]!) i++;
  return i;
}

const NO_KEYS: readonly string[] = Object.freeze([]);

function uptimeOf(figure: number): number | undefined {
  return Number.isNaN(figure) ? undefined : figure;
}

/** A contribution of `value` joins `g`. */
function add(g: Group, value: number): void {
  g.live++;
  if (g.metric.kind === 'observed') return;
  g.sum += value;
  if (g.metric.kind === 'latest') g.buckets[bucketOf(g.metric.boundaries, value)]!++;
}

/** A contribution of `value` leaves `g`. */
function withdraw(g: Group, value: number): void {
  g.live--;
  if (g.metric.kind === 'observed') return;
  // Adding and taking away floats leaves crumbs: an empty group sums to exactly 0.
  g.sum = g.live === 0 ? 0 : g.sum - value;
  if (g.metric.kind === 'latest') g.buckets[bucketOf(g.metric.boundaries, value)]!--;
}

// Key lists shared by subjects: past this many different ones, a subject keeps its own.
const MAX_KEY_LISTS = 1024;

export class SubjectAggregates {
  private readonly metrics = new Map<string, AggregateMetric>();
  private readonly subjects = new Map<string, SubjectState>();
  private readonly keyLists = new Map<string, readonly string[]>();
  private readonly startedNs: bigint;
  private lastSubject: Subject | undefined;
  private lastState: SubjectState | undefined;
  /** The subject of the event in hand gained contributions: its arrays are settled once the event is over. */
  private grown = false;

  constructor(private readonly options: SeriesOptions) {
    this.startedNs = options.now();
  }

  declare(declaration: MetricDeclaration): void {
    const kind = declaration.instrument === 'counter' ? 'observed' : declaration.aggregate!;
    const boundaries = declaration.buckets ?? DEFAULT_BOUNDARIES;
    this.metrics.set(declaration.name, { declaration, descriptor: descriptor(declaration), kind, boundaries, groups: new Map(), overflow: undefined });
  }

  /** Subjects held in memory. */
  get size(): number {
    return this.subjects.size;
  }

  /** Groups of the metric with the most, counted against the budget (the overflow group aside). */
  get fullestMetric(): number {
    let most = 0;
    for (const metric of this.metrics.values()) most = Math.max(most, metric.groups.size);
    return most;
  }

  record(o: MetricOutput, now: bigint): void {
    const metric = this.metrics.get(o.name);
    if (metric === undefined || o.subject === undefined) return;
    const observed = metric.kind === 'observed';
    if (observed && !(o.value >= 0)) return;
    const ttlNs = o.subject.ttlNs;
    // The points of one event share their subject: it is looked up, and its TTL renewed, once.
    let subject: SubjectState;
    if (o.subject === this.lastSubject) subject = this.lastState!;
    else {
      this.settle();
      const timeNs = Number(o.timeNs);
      const seenNs = Number(now);
      const liveNs = Number(ttlNs);
      let found = this.subjects.get(o.subject.key);
      if (found === undefined) this.subjects.set(o.subject.key, (found = { seenNs, ttlNs: liveNs, timeNs, keys: NO_KEYS, groups: [], figures: [] }));
      // An older report than the one in hand changes nothing.
      else if (timeNs < found.timeNs) return;
      else {
        found.seenNs = seenNs;
        found.ttlNs = liveNs;
        found.timeNs = timeNs;
      }
      subject = found;
      this.lastSubject = o.subject;
      this.lastState = found;
    }
    const i = subject.keys.indexOf(o.seriesKey ?? o.name);
    const group = this.group(metric, o, now);
    if (observed) {
      const next: Observation = { value: o.value, timeNs: o.timeNs, uptime: o.uptime };
      let increase: number;
      // The same report again adds nothing: its value is the one in hand.
      if (i >= 0) {
        const old = { value: subject.figures[2 * i]!, uptime: uptimeOf(subject.figures[2 * i + 1]!) };
        increase = restarted(old, next) ? next.value : next.value - old.value;
      } else {
        const start = startOf(next);
        increase = start !== undefined && start >= this.startedNs && start >= next.timeNs - ttlNs ? next.value : 0;
      }
      group.total += increase;
    }
    const uptime = o.uptime ?? NaN;
    if (i >= 0) {
      withdraw(subject.groups[i]!, subject.figures[2 * i]!);
      subject.groups[i] = group;
      subject.figures[2 * i] = o.value;
      subject.figures[2 * i + 1] = uptime;
    } else {
      subject.keys = [...subject.keys, o.seriesKey ?? o.name];
      subject.groups.push(group);
      subject.figures.push(o.value, uptime);
      this.grown = true;
    }
    add(group, o.value);
  }

  /**
   * The event that grew the last subject is over: its key list is swapped for the shared one, and
   * its arrays for copies of their length (V8 leaves room for more when an array grows).
   */
  private settle(): void {
    const state = this.lastState;
    if (!this.grown || state === undefined) return;
    this.grown = false;
    const id = state.keys.join('\u0000');
    const shared = this.keyLists.get(id);
    if (shared !== undefined) state.keys = shared;
    else if (this.keyLists.size < MAX_KEY_LISTS) this.keyLists.set(id, state.keys);
    state.groups = state.groups.slice();
    state.figures = state.figures.slice();
  }

  /** The series of the point's attributes: its subject's and its own. */
  private group(metric: AggregateMetric, o: MetricOutput, now: bigint): Group {
    const subject = o.subject!;
    const key = `${subject.attributesKey}\u0003${o.seriesKey ?? ''}`;
    let group = metric.groups.get(key);
    if (group !== undefined) return group;
    const overflow = metric.groups.size >= this.options.maxSeries;
    if (overflow && metric.overflow !== undefined) return metric.overflow;
    group = {
      metric,
      attributes: overflow ? OVERFLOW : { ...subject.attributes, ...o.attributes },
      live: 0,
      sum: 0,
      buckets: metric.kind === 'latest' ? new Array<number>(metric.boundaries.length + 1).fill(0) : [],
      total: 0,
      startNs: now,
      accumulated: undefined,
      exportedTotal: 0,
      exportedNs: now,
    };
    if (overflow) metric.overflow = group;
    else metric.groups.set(key, group);
    return group;
  }

  /** Forget subjects whose TTL has passed. */
  private expire(now: bigint): void {
    this.settle();
    this.lastSubject = this.lastState = undefined;
    const nowNs = Number(now);
    for (const [key, subject] of this.subjects) {
      if (nowNs - subject.seenNs < subject.ttlNs) continue;
      for (let i = 0; i < subject.groups.length; i++) withdraw(subject.groups[i]!, subject.figures[2 * i]!);
      this.subjects.delete(key);
    }
  }

  /**
   * One collection, a metric's points handed on whenever `size` are gathered and at the metric's
   * end. Subjects past their TTL are forgotten first; what is recorded while a part is out is in
   * the groups not reached yet.
   */
  *collect(now: bigint, size: number): Generator<sdkMetrics.MetricData[]> {
    this.expire(now);
    const made = new PointMaker();
    for (const metric of this.metrics.values()) {
      const delta =
        this.options.temporality(metric.kind === 'latest' ? sdkMetrics.InstrumentType.HISTOGRAM : sdkMetrics.InstrumentType.COUNTER) ===
        sdkMetrics.AggregationTemporality.DELTA;
      let points: sdkMetrics.DataPoint<number>[] = [];
      let histogram: sdkMetrics.DataPoint<sdkMetrics.Histogram>[] = [];
      const groups = metric.overflow ? [...metric.groups, ['', metric.overflow] as const] : metric.groups;
      for (const [key, g] of groups) {
        switch (metric.kind) {
          case 'count':
            points.push(made.point(g.attributes, now, now, g.live));
            break;
          case 'sum':
            points.push(made.point(g.attributes, now, now, g.sum));
            break;
          case 'latest':
            histogram.push(this.histogramPoint(g, metric.boundaries, now, delta, made));
            break;
          case 'observed':
            if (!delta) points.push(made.point(g.attributes, g.startNs, now, g.total));
            else if (g.total > g.exportedTotal) points.push(made.point(g.attributes, g.exportedNs, now, g.total - g.exportedTotal));
            g.exportedTotal = g.total;
            break;
        }
        g.exportedNs = now;
        if (g.live === 0) {
          if (g === metric.overflow) metric.overflow = undefined;
          else metric.groups.delete(key);
        }
        if (points.length + histogram.length >= size) {
          yield [this.metricData(metric, delta, points, histogram)];
          points = [];
          histogram = [];
        }
      }
      if (points.length + histogram.length > 0) yield [this.metricData(metric, delta, points, histogram)];
    }
  }

  private metricData(
    metric: AggregateMetric,
    delta: boolean,
    points: sdkMetrics.DataPoint<number>[],
    histogram: sdkMetrics.DataPoint<sdkMetrics.Histogram>[],
  ): sdkMetrics.MetricData {
    const temporality = delta ? sdkMetrics.AggregationTemporality.DELTA : sdkMetrics.AggregationTemporality.CUMULATIVE;
    switch (metric.kind) {
      case 'latest':
        return { descriptor: metric.descriptor, aggregationTemporality: temporality, dataPointType: sdkMetrics.DataPointType.HISTOGRAM, dataPoints: histogram };
      case 'observed':
        return {
          descriptor: metric.descriptor,
          aggregationTemporality: temporality,
          dataPointType: sdkMetrics.DataPointType.SUM,
          isMonotonic: true,
          dataPoints: points,
        };
      default:
        return {
          descriptor: metric.descriptor,
          aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE,
          dataPointType: sdkMetrics.DataPointType.GAUGE,
          dataPoints: points,
        };
    }
  }

  /** The live distribution (delta), or it added to all before (cumulative); arrays copied, as the export reads them later. */
  private histogramPoint(g: Group, boundaries: number[], now: bigint, delta: boolean, made: PointMaker): sdkMetrics.DataPoint<sdkMetrics.Histogram> {
    if (delta) return made.point(g.attributes, g.exportedNs, now, { buckets: { boundaries, counts: g.buckets.slice() }, sum: g.sum, count: g.live });
    const acc = (g.accumulated ??= { count: 0, sum: 0, buckets: new Array<number>(g.buckets.length).fill(0) });
    acc.count += g.live;
    acc.sum += g.sum;
    for (let i = 0; i < acc.buckets.length; i++) acc.buckets[i]! += g.buckets[i]!;
    return made.point(g.attributes, g.startNs, now, { buckets: { boundaries, counts: acc.buckets.slice() }, sum: acc.sum, count: acc.count });
  }
}
