import type { MetricAttributes } from '../mapping/types.js';

/**
 * One subject's series as columns: row `i` of every array is one series. A large organisation's
 * devices hold hundreds of thousands of series, and as objects (one each, in a map per subject)
 * they cost twice the memory; worse, V8 keeps a number held in an object's field in a box of its
 * own, a new box at every report, which outlives the young generation (the series keeps it until
 * the next report) and fills the old one. An array of numbers keeps them unboxed, written in place.
 * What is held per series is SubjectSeries' business; this is where and how.
 */

/** What a series key stands for (its metric and own attributes): one object per key, when it can be shared. */
export interface SeriesKind<M> {
  key: string;
  metric: M;
  own: MetricAttributes;
}

/** A count's report: its start, time and value. */
export interface CountReport {
  startNs: bigint;
  timeNs: bigint;
  value: number;
}

/** `flags`: the newest point went out in a collection. */
export const EXPORTED = 1;
/** `flags`: an observed count past the series budget, counted in its metric's overflow series. */
export const OVERFLOWING = 2;

// Past this many series a subject's lookups go through a map (see `find`).
const MAX_SCANNED = 512;

export class SeriesTable<M> {
  rows = 0;
  kinds: SeriesKind<M>[] = [];
  /** The subject's attributes with the series' newest report. */
  attributes: MetricAttributes[] = [];
  /** How long the series lives after `received` without a report. */
  ttls: bigint[] = [];
  received: bigint[] = [];
  /** The newest report's time and value. */
  times: bigint[] = [];
  values: number[] = [];
  flags: number[] = [];
  // Observed counts only (placeholders in gauges' rows):
  /** The sender's uptime with the value (NaN when it said none). */
  uptimes: number[] = [];
  starts: bigint[] = [];
  /** The last report of a count that started again before it went out. */
  previous: (CountReport | undefined)[] = [];
  /** Delta temporality: what went out last. */
  handed: (CountReport | undefined)[] = [];

  /** Where the next lookup starts: the row after the last one found. */
  private cursor = 0;
  private index: Map<string, number> | undefined;

  /**
   * The row of `key`, or -1. A subject's reports name its series in the same order every time, so
   * the row after the last one found is looked at first, then the next ones: one look per series
   * and report, however many series the report skips. A subject with very many series (or whose
   * reports come in no order) is looked up through a map instead.
   */
  find(key: string): number {
    if (this.index !== undefined) return this.index.get(key) ?? -1;
    const n = this.rows;
    for (let k = 0, i = this.cursor; k < n; k++, i++) {
      if (i === n) i = 0;
      if (this.kinds[i]!.key === key) {
        this.cursor = i + 1;
        return i;
      }
    }
    return -1;
  }

  add(
    kind: SeriesKind<M>,
    attributes: MetricAttributes,
    ttlNs: bigint,
    receivedNs: bigint,
    timeNs: bigint,
    value: number,
    flags: number,
    uptime: number,
    startNs: bigint,
  ): void {
    const row = this.rows++;
    this.kinds.push(kind);
    this.attributes.push(attributes);
    this.ttls.push(ttlNs);
    this.received.push(receivedNs);
    this.times.push(timeNs);
    this.values.push(value);
    this.flags.push(flags);
    this.uptimes.push(uptime);
    this.starts.push(startNs);
    this.previous.push(undefined);
    this.handed.push(undefined);
    this.cursor = this.rows;
    if (this.index !== undefined) this.index.set(kind.key, row);
    else if (this.rows > MAX_SCANNED) this.reindex();
  }

  /** Row `from` is now row `to` (whose series is gone). */
  move(from: number, to: number): void {
    this.kinds[to] = this.kinds[from]!;
    this.attributes[to] = this.attributes[from]!;
    this.ttls[to] = this.ttls[from]!;
    this.received[to] = this.received[from]!;
    this.times[to] = this.times[from]!;
    this.values[to] = this.values[from]!;
    this.flags[to] = this.flags[from]!;
    this.uptimes[to] = this.uptimes[from]!;
    this.starts[to] = this.starts[from]!;
    this.previous[to] = this.previous[from];
    this.handed[to] = this.handed[from];
  }

  /** Keeps the first `rows` rows. */
  truncate(rows: number): void {
    if (rows === this.rows) return;
    this.rows = rows;
    this.cursor = 0;
    this.trim();
    if (this.index !== undefined) this.reindex();
  }

  /** Every column as long as the table: V8 leaves room to grow in an array that grew. */
  trim(): void {
    const n = this.rows;
    this.kinds = this.kinds.slice(0, n);
    this.attributes = this.attributes.slice(0, n);
    this.ttls = this.ttls.slice(0, n);
    this.received = this.received.slice(0, n);
    this.times = this.times.slice(0, n);
    this.values = this.values.slice(0, n);
    this.flags = this.flags.slice(0, n);
    this.uptimes = this.uptimes.slice(0, n);
    this.starts = this.starts.slice(0, n);
    this.previous = this.previous.slice(0, n);
    this.handed = this.handed.slice(0, n);
  }

  private reindex(): void {
    this.index = this.rows > MAX_SCANNED ? new Map(this.kinds.slice(0, this.rows).map((k, i) => [k.key, i])) : undefined;
  }
}
