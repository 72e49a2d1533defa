import type { Attributes } from '@opentelemetry/api';
import * as sdkMetrics from '@opentelemetry/sdk-metrics';
import type { MetricDeclaration } from '../mapping/loader.js';
import type { MetricOutput } from '../mapping/types.js';
import { plausibleStart, restarted, type Observation } from './observed.js';
import { attributesKey, dataPoint, descriptor, OVERFLOW, type SeriesOptions } from './series-common.js';

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

interface Contribution extends Observation {
  /** Metric name and series key: what a later report of the subject replaces. */
  key: string;
  metric: AggregateMetric;
  group: Group;
}

interface SubjectState {
  expiresNs: bigint;
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

  record(o: MetricOutput): void {
    const metric = this.metrics.get(o.name);
    if (metric === undefined || o.subject === undefined) return;
    const observed = metric.kind === 'observed';
    if (observed && !(o.value >= 0)) return;
    const now = this.options.now();
    const ttlNs = o.subject.ttlNs;
    let subject = this.subjects.get(o.subject.key);
    if (subject === undefined) {
      subject = { expiresNs: now + ttlNs, contributions: [] };
      this.subjects.set(o.subject.key, subject);
    }
    const key = o.seriesKey ? `${o.name}\u0000${o.seriesKey}` : o.name;
    let old: Contribution | undefined;
    for (const c of subject.contributions) {
      if (c.key === key) {
        old = c;
        break;
      }
    }
    // An older report than the one in hand, or the same one again, changes nothing.
    if (old !== undefined && o.timeNs <= old.timeNs) return;
    subject.expiresNs = now + ttlNs;
    const group = this.group(metric, o.attributes, now);
    const next: Observation = { value: o.value, timeNs: o.timeNs, startNs: plausibleStart(o.startNs, o.timeNs) };
    if (observed) {
      let increase: number;
      if (old !== undefined) increase = restarted(old, next) ? next.value : next.value - old.value;
      else {
        const start = next.startNs;
        increase = start !== undefined && start >= this.startedNs && start >= next.timeNs - ttlNs ? next.value : 0;
      }
      group.total += increase;
    }
    if (old !== undefined) {
      this.withdraw(old);
      old.group = group;
      old.value = next.value;
      old.timeNs = next.timeNs;
      old.startNs = next.startNs;
      this.add(old);
    } else {
      const c: Contribution = { key, metric, group, ...next };
      subject.contributions.push(c);
      this.add(c);
    }
  }

  private group(metric: AggregateMetric, attributes: Attributes, now: bigint): Group {
    const key = attributesKey(attributes);
    let group = metric.groups.get(key);
    if (group !== undefined) return group;
    const overflow = metric.groups.size >= this.options.maxSeries;
    if (overflow && metric.overflow !== undefined) return metric.overflow;
    group = {
      attributes: overflow ? OVERFLOW : attributes,
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
    for (const [key, subject] of this.subjects) {
      if (subject.expiresNs > now) continue;
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
          out.push({ ...base, aggregationTemporality: sdkMetrics.AggregationTemporality.CUMULATIVE, dataPointType: sdkMetrics.DataPointType.GAUGE, dataPoints: points });
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
