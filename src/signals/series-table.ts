import type { MetricAttributes } from '../mapping/types.js';

/**
 * One subject's series as columns: row `i` of every array is one series. A large organisation's
 * devices hold hundreds of thousands of series, and as objects (one each, in a map per subject)
 * they cost twice the memory; worse, V8 keeps a number held in an object's field in a box of its
 * own, a new box at every report, which outlives the young generation (the series keeps it until
 * the next report) and fills the old one. A typed array keeps them unboxed, written in place.
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
// A new subject's typed columns: an AP's first report brings a few dozen series.
const INITIAL_CAPACITY = 16;

type TypedColumn = BigInt64Array | Float64Array | Uint8Array;

/** `to` with the first `rows` rows of `from`. */
function grown<T extends TypedColumn>(from: T, to: T, rows: number): T {
  (to as { set(from: ArrayLike<unknown>): void }).set(from.subarray(0, rows));
  return to;
}

export class SeriesTable<M> {
  rows = 0;
  kinds: SeriesKind<M>[] = [];
  /** The subject's attributes with the series' newest report. */
  attributes: MetricAttributes[] = [];
  // Times, numbers and flags in typed arrays: held outside V8's heap, so the collector never
  // scans them, and a time written in place needs no heap object of its own (a `bigint` in a
  // plain array is one, a new one at every report). Their length is the capacity, not `rows`.
  /** How long the series lives after `received` without a report. */
  ttls = new BigInt64Array(INITIAL_CAPACITY);
  received = new BigInt64Array(INITIAL_CAPACITY);
  /** The newest report's time and value. */
  times = new BigInt64Array(INITIAL_CAPACITY);
  values = new Float64Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  // Observed counts only (placeholders in gauges' rows):
  /** The sender's uptime with the value (NaN when it said none). */
  uptimes = new Float64Array(INITIAL_CAPACITY);
  starts = new BigInt64Array(INITIAL_CAPACITY);
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
    const row = this.rows;
    if (row === this.times.length) this.resize(Math.max(INITIAL_CAPACITY, row * 2));
    this.rows++;
    this.kinds.push(kind);
    this.attributes.push(attributes);
    this.ttls[row] = ttlNs;
    this.received[row] = receivedNs;
    this.times[row] = timeNs;
    this.values[row] = value;
    this.flags[row] = flags;
    this.uptimes[row] = uptime;
    this.starts[row] = startNs;
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
    this.previous = this.previous.slice(0, n);
    this.handed = this.handed.slice(0, n);
    if (this.times.length !== n) this.resize(n);
  }

  /** The typed columns at `capacity` rows, keeping the first `rows`. */
  private resize(capacity: number): void {
    const n = Math.min(this.rows, capacity);
    this.ttls = grown(this.ttls, new BigInt64Array(capacity), n);
    this.received = grown(this.received, new BigInt64Array(capacity), n);
    this.times = grown(this.times, new BigInt64Array(capacity), n);
    this.values = grown(this.values, new Float64Array(capacity), n);
    this.flags = grown(this.flags, new Uint8Array(capacity), n);
    this.uptimes = grown(this.uptimes, new Float64Array(capacity), n);
    this.starts = grown(this.starts, new BigInt64Array(capacity), n);
  }

  private reindex(): void {
    this.index = this.rows > MAX_SCANNED ? new Map(this.kinds.slice(0, this.rows).map((k, i) => [k.key, i])) : undefined;
  }
}
