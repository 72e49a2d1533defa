import type { MetricAttributes } from '../mapping/types.js';

/**
 * One subject's series as rows: row `i` is one series. A large organisation's devices hold
 * hundreds of thousands of series, and as objects (one each, in a map per subject) they cost twice
 * the memory; worse, V8 keeps a number held in an object's field in a box of its own, a new box at
 * every report, which outlives the young generation (the series keeps it until the next report)
 * and fills the old one. Here a row's times and numbers are unboxed, written in place.
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
// A new subject's capacity: an AP's first report brings a few dozen series.
const INITIAL_CAPACITY = 16;

// A row's times and numbers: SLOTS 8-byte slots from `row * SLOTS` of one buffer, seen both as
// 64-bit integers (the times) and as doubles (the rest). One buffer per subject rather than one
// per column: each typed array costs V8 a few hundred bytes of its own, several times what a
// device's few dozen rows need per column.
const TTL = 0;
const RECEIVED = 1;
const TIME = 2;
const START = 3;
const VALUE = 4;
const UPTIME = 5;
const FLAGS = 6;
const SLOTS = 7;

export class SeriesTable<M> {
  rows = 0;
  kinds: SeriesKind<M>[] = [];
  /** The subject's attributes with the series' newest report. */
  attributes: MetricAttributes[] = [];
  private times = new BigInt64Array(INITIAL_CAPACITY * SLOTS);
  private numbers = new Float64Array(this.times.buffer);
  // Rarely set (a count that restarted before it went out; delta temporality): made on first use.
  private previousReports: (CountReport | undefined)[] | undefined;
  private handedReports: (CountReport | undefined)[] | undefined;

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

  /** A new series; `uptime` NaN when the sender said none. */
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
    if (row === this.capacity) this.resize(Math.max(INITIAL_CAPACITY, row * 2));
    this.rows++;
    this.kinds.push(kind);
    this.previousReports?.push(undefined);
    this.handedReports?.push(undefined);
    this.renew(row, attributes, receivedNs, ttlNs);
    this.report(row, timeNs, value, uptime);
    this.setFlags(row, flags);
    this.setStart(row, startNs);
    this.cursor = this.rows;
    if (this.index !== undefined) this.index.set(kind.key, row);
    else if (this.rows > MAX_SCANNED) this.reindex();
  }

  /** The series was reported again: it carries the report's subject attributes and lives `ttlNs` from `receivedNs`. */
  renew(row: number, attributes: MetricAttributes, receivedNs: bigint, ttlNs: bigint): void {
    this.attributes[row] = attributes;
    this.times[row * SLOTS + RECEIVED] = receivedNs;
    this.times[row * SLOTS + TTL] = ttlNs;
  }

  /** Whether the series' TTL has passed at `nowNs` since it was last reported. */
  expired(row: number, nowNs: bigint): boolean {
    return nowNs - this.times[row * SLOTS + RECEIVED]! >= this.times[row * SLOTS + TTL]!;
  }

  /** The newest report's time, value and the sender's uptime with it (NaN when it said none). */
  report(row: number, timeNs: bigint, value: number, uptime: number): void {
    this.times[row * SLOTS + TIME] = timeNs;
    this.numbers[row * SLOTS + VALUE] = value;
    this.numbers[row * SLOTS + UPTIME] = uptime;
  }

  time(row: number): bigint {
    return this.times[row * SLOTS + TIME]!;
  }

  value(row: number): number {
    return this.numbers[row * SLOTS + VALUE]!;
  }

  uptime(row: number): number {
    return this.numbers[row * SLOTS + UPTIME]!;
  }

  /** Observed counts: when the count started. */
  start(row: number): bigint {
    return this.times[row * SLOTS + START]!;
  }

  setStart(row: number, startNs: bigint): void {
    this.times[row * SLOTS + START] = startNs;
  }

  flags(row: number): number {
    return this.numbers[row * SLOTS + FLAGS]!;
  }

  setFlags(row: number, flags: number): void {
    this.numbers[row * SLOTS + FLAGS] = flags;
  }

  /** Observed counts: the last report of a count that started again before it went out. */
  previous(row: number): CountReport | undefined {
    return this.previousReports?.[row];
  }

  setPrevious(row: number, report: CountReport | undefined): void {
    if (report === undefined && this.previousReports === undefined) return;
    this.previousReports ??= new Array<CountReport | undefined>(this.rows).fill(undefined);
    this.previousReports[row] = report;
  }

  /** Observed counts with delta temporality: what went out last. */
  handed(row: number): CountReport | undefined {
    return this.handedReports?.[row];
  }

  setHanded(row: number, report: CountReport): void {
    this.handedReports ??= new Array<CountReport | undefined>(this.rows).fill(undefined);
    this.handedReports[row] = report;
  }

  /** Row `from` is now row `to` (whose series is gone). */
  move(from: number, to: number): void {
    this.kinds[to] = this.kinds[from]!;
    this.attributes[to] = this.attributes[from]!;
    this.times.copyWithin(to * SLOTS, from * SLOTS, (from + 1) * SLOTS);
    if (this.previousReports !== undefined) this.previousReports[to] = this.previousReports[from];
    if (this.handedReports !== undefined) this.handedReports[to] = this.handedReports[from];
  }

  /** Keeps the first `rows` rows. */
  truncate(rows: number): void {
    if (rows === this.rows) return;
    this.rows = rows;
    this.cursor = 0;
    this.trim();
    if (this.index !== undefined) this.reindex();
  }

  /** Room for exactly the rows held: V8 leaves room to grow in an array that grew. */
  trim(): void {
    const n = this.rows;
    this.kinds = this.kinds.slice(0, n);
    this.attributes = this.attributes.slice(0, n);
    this.previousReports = this.previousReports?.slice(0, n);
    this.handedReports = this.handedReports?.slice(0, n);
    if (this.capacity !== n) this.resize(n);
  }

  /** Rows it has room for without growing. */
  get capacity(): number {
    return this.times.length / SLOTS;
  }

  /** Room for `capacity` rows, keeping the first `rows`. */
  private resize(capacity: number): void {
    const times = new BigInt64Array(capacity * SLOTS);
    times.set(this.times.subarray(0, Math.min(this.rows, capacity) * SLOTS));
    this.times = times;
    this.numbers = new Float64Array(times.buffer);
  }

  private reindex(): void {
    this.index = this.rows > MAX_SCANNED ? new Map(this.kinds.slice(0, this.rows).map((k, i) => [k.key, i])) : undefined;
  }
}
