import type { Attributes } from '@opentelemetry/api';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import type { MetricOutput, Subject } from '../mapping/types.js';
import { type Observation, restarted, startOf } from './observed.js';
import { dataPoint, descriptor, OVERFLOW, type SeriesOptions } from './series-common.js';

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
  kind: 'count' | 'sum' | 'latest' | 'observed';
  boundaries: number[];
  groups: Map<string, Group>;
  overflow: Group | undefined;
}

interface Contribution {
  /** The series key (metric and own attributes): what a later report of the subject replaces. */
  key: string;
  metric: AggregateMetric;
  group: Group;
  value: number;
  /** Observed counters: the sender's uptime with `value`. */
  uptime: number | undefined;
}

interface SubjectState {
  /** When its last report was received, and how long it lives without another. */
  seenNs: bigint;
  ttlNs: bigint;
  /** Its last report's time: an older report changes nothing. */
  timeNs: bigint;
  contributions: Contribution[];
}

// The SDK's default explicit boundaries, for a histogram whose file gives none.
const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

function bucketOf(boundaries: readonly number[], value: number): number {
  let i = 0;
  while (i < boundaries.length && value > boundaries[i]!) i++;
  return i;
}

export class SubjectAggregates {
  private readonly metrics = new Map<string, AggregateMetric>();
  private readonly subjects = new Map<string, SubjectState>();
  private readonly startedNs: bigint;
  private lastSubject: Subject | undefined;
  private lastState: SubjectState | undefined;

  constructor(private readonly options: SeriesOptions) {
    this.startedNs = options.now();
  }

  declare(declaration: MetricDeclaration): void {
    const kind = declaration.instrument === 'counter' ? 'observed' : declaration.aggregate!;
    const boundaries = declaration.buckets ?? DEFAULT_BOUNDARIES;
    this.metrics.set(declaration.name, { declaration, kind, boundaries, groups: new Map(), overflow: undefined });
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
      let found = this.subjects.get(o.subject.key);
      if (found === undefined) this.subjects.set(o.subject.key, (found = { seenNs: now, ttlNs, timeNs: o.timeNs, contributions: [] }));
      // An older report than the one in hand changes nothing.
      else if (o.timeNs < found.timeNs) return;
      found.seenNs = now;
      found.ttlNs = ttlNs;
      found.timeNs = o.timeNs;
      subject = found;
      this.lastSubject = o.subject;
      this.lastState = found;
    }
    const key = o.seriesKey ?? o.name;
    let old: Contribution | undefined;
    for (const c of subject.contributions) {
      if (c.key === key) {
        old = c;
        break;
      }
    }
    const group = this.group(metric, o, now);
    if (observed) {
      const next: Observation = { value: o.value, timeNs: o.timeNs, uptime: o.uptime };
      let increase: number;
      // The same report again adds nothing: its value is the one in hand.
      if (old !== undefined) increase = restarted(old, next) ? next.value : next.value - old.value;
      else {
        const start = startOf(next);
        increase = start !== undefined && start >= this.startedNs && start >= next.timeNs - ttlNs ? next.value : 0;
      }
      group.total += increase;
    }
    if (old !== undefined) {
      this.withdraw(old);
      old.group = group;
      old.value = o.value;
      old.uptime = o.uptime;
      this.add(old);
    } else {
      const c: Contribution = { key, metric, group, value: o.value, uptime: o.uptime };
      subject.contributions.push(c);
      this.add(c);
    }
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

  private add(c: Contribution): void {
    const g = c.group;
    g.live++;
    if (c.metric.kind === 'observed') return;
    g.sum += c.value;
    if (c.metric.kind === 'latest') g.buckets[bucketOf(c.metric.boundaries, c.value)]!++;
  }

  private withdraw(c: Contribution): void {
    const g = c.group;
    g.live--;
    if (c.metric.kind === 'observed') return;
    // Adding and taking away floats leaves crumbs: an empty group sums to exactly 0.
    g.sum = g.live === 0 ? 0 : g.sum - c.value;
    if (c.metric.kind === 'latest') g.buckets[bucketOf(c.metric.boundaries, c.value)]!--;
  }

  /** Forget subjects whose TTL has passed. */
  private expire(now: bigint): void {
    this.lastSubject = this.lastState = undefined;
    for (const [key, subject] of this.subjects) {
      if (now - subject.seenNs < subject.ttlNs) continue;
      for (const c of subject.contributions) this.withdraw(c);
      this.subjects.delete(key);
    }
  }

  collect(now: bigint, out: sdkMetrics.MetricData[]): void {
    this.expire(now);
    for (const metric of this.metrics.values()) {
      const points: sdkMetrics.DataPoint<number>[] = [];
      const histogram: sdkMetrics.DataPoint<sdkMetrics.Histogram>[] = [];
      const delta =
        this.options.temporality(metric.kind === 'latest' ? sdkMetrics.InstrumentType.HISTOGRAM : sdkMetrics.InstrumentType.COUNTER) ===
        sdkMetrics.AggregationTemporality.DELTA;
      const groups = metric.overflow ? [...metric.groups, ['', metric.overflow] as const] : metric.groups;
      for (const [key, g] of groups) {
        switch (metric.kind) {
          case 'count':
            points.push(dataPoint(g.attributes, now, now, g.live));
            break;
          case 'sum':
            points.push(dataPoint(g.attributes, now, now, g.sum));
            break;
          case 'latest':
            histogram.push(this.histogramPoint(g, metric.boundaries, now, delta));
            break;
          case 'observed':
            if (!delta) points.push(dataPoint(g.attributes, g.startNs, now, g.total));
            else if (g.total > g.exportedTotal) points.push(dataPoint(g.attributes, g.exportedNs, now, g.total - g.exportedTotal));
            g.exportedTotal = g.total;
            break;
        }
        g.exportedNs = now;
        if (g.live === 0) {
          if (g === metric.overflow) metric.overflow = undefined;
          else metric.groups.delete(key);
        }
      }
      const base = { descriptor: descriptor(metric.declaration) };
      if (metric.kind === 'latest') {
        if (histogram.length > 0) {
          out.push({
            ...base,
            aggregationTemporality: delta ? sdkMetrics.AggregationTemporality.DELTA : sdkMetrics.AggregationTemporality.CUMULATIVE,
            dataPointType: sdkMetrics.DataPointType.HISTOGRAM,
            dataPoints: histogram,
          });
        }
      } else if (points.length > 0) {
        if (metric.kind === 'observed') {
          out.push({
            ...base,
            aggregationTemporality: delta ? sdkMetrics.AggregationTemporality.DELTA : sdkMetrics.AggregationTemporality.CUMULATIVE,
            dataPointType: sdkMetrics.DataPointType.SUM,
            isMonotonic: true,
            dataPoints: points,
          });
        } else {
          out.push({
            ...base,
            aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE,
            dataPointType: sdkMetrics.DataPointType.GAUGE,
            dataPoints: points,
          });
        }
      }
    }
  }

  /** The live distribution (delta), or it added to all before (cumulative); arrays copied, as the export reads them later. */
  private histogramPoint(g: Group, boundaries: number[], now: bigint, delta: boolean): sdkMetrics.DataPoint<sdkMetrics.Histogram> {
    if (delta) return dataPoint(g.attributes, g.exportedNs, now, { buckets: { boundaries, counts: g.buckets.slice() }, sum: g.sum, count: g.live });
    const acc = (g.accumulated ??= { count: 0, sum: 0, buckets: new Array<number>(g.buckets.length).fill(0) });
    acc.count += g.live;
    acc.sum += g.sum;
    for (let i = 0; i < acc.buckets.length; i++) acc.buckets[i]! += g.buckets[i]!;
    return dataPoint(g.attributes, g.startNs, now, { buckets: { boundaries, counts: acc.buckets.slice() }, sum: acc.sum, count: acc.count });
  }
}
