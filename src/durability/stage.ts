import { type AckSignal, BatchAck } from '../acks/ack.js';
import type { Logger } from '../log/logger.js';
import type { Batch, BatchConsumer, BatchObserver, Codec, Receipt, Refusal } from '../sources/contract.js';
import { type Journal, JournalFullError, type JournalRow, JournalUnavailableError, type Watermarks } from './journal.js';

/** What the durable stage reports about itself (src/self). */
export interface DurabilityTelemetry {
  dropped(what: string, reason: string, count: number): void;
}

/**
 * Told of each batch handed on from the journal rather than live — replayed after a restart, or
 * caught up once the export backlog drained — with its bytes as journaled; returns who watches
 * it go through processing (the inspector page), finished once processing has it.
 */
export type JournalWatch = (batch: Batch, journaled: { body: Uint8Array; afterRestart: boolean }) => (BatchObserver & { finish(): void }) | undefined;

export interface DurableStageOptions {
  journal: Journal;
  /** Processing: where kept batches go, live or replayed. */
  next: BatchConsumer;
  /** The codecs of the sources whose batches are kept, to replay rows. */
  codecs: readonly Codec[];
  /** Records waiting for export downstream: what the decision to spill is made on. */
  backlog: () => number;
  /** Records waiting in memory for export beyond which batches wait in the journal only. */
  maxQueuedRecords: number;
  /** A batch replayed from before the last stop is about to be processed (deduplication remembers it). */
  replayed: (batch: Batch) => void;
  telemetry: DurabilityTelemetry;
  log: Logger;
  watch?: JournalWatch;
}

// How long a refused sender is asked to wait: the journal drains as fast as the backend takes it.
const FULL_RETRY_AFTER_S = 30;
const WRITE_FAILED_RETRY_AFTER_S = 5;
const REPLAY_BATCH_ROWS = 64;
const RELEASE_INTERVAL_MS = 250;
const REPLAY_RETRY_FIRST_MS = 100;
const REPLAY_RETRY_MAX_MS = 2000;

const SIGNALS: readonly AckSignal[] = ['logs', 'spans', 'metrics'];
const BIT: Record<AckSignal, number> = { logs: 1, spans: 2, metrics: 4 };

/** A row handed to processing whose signals are not all delivered: the bits still owed. */
interface Handed {
  seq: number;
  owed: number;
}

/**
 * Durability: keeps every batch a source has acknowledged (those with a codec: a webhook delivery
 * answered 200) in the journal until everything derived from it left the bridge, and replays
 * what is left after a restart.
 *
 * Each batch handed on carries an acknowledgement (src/acks) that this stage alone knows to be a
 * journal row: per signal, a row is settled once its records are exported. Rows are handed on in
 * seq order, so how far each signal got is the seq before the oldest row still owing it; rows up
 * to the lowest of the three are deleted, and the three marks stored with them, so a row whose
 * logs were exported before a crash replays only its metrics.
 *
 * Live, a committed batch goes straight on (the decoded events, no re-read). When the export
 * backlog is over budget, or the journal holds rows from before a restart, the stage "spills":
 * batches stay in the journal only and a catch-up loop hands them on in seq order as the backlog
 * drains, until it reaches the end and live handing on resumes.
 */
export class DurableStage implements BatchConsumer {
  private readonly journal: Journal;
  private readonly log: Logger;
  private readonly codecs: ReadonlyMap<string, Codec>;
  /** The last seq handed on (or skipped as unreadable). */
  private cursor = 0;
  private spilling = false;
  private stopped = false;
  /** Progress persisted by the previous run; rows up to it owe only what it had not exported. */
  private readonly recovered: Watermarks;
  private readonly recoveredThrough: number;
  private released: Watermarks;
  /** Rows with seq ≤ this are deleted. */
  private deletedThrough = 0;
  /** Handed-on rows still owing a signal, oldest first (a queue). */
  private handed: Handed[] = [];
  /**
   * Per signal, the index in `handed` of the oldest row that may still owe it. Each moves only
   * forward, so finding the marks costs what was settled since the last call, not a scan of
   * every row held: rows owing metrics wait a whole collection interval, and a scan past them
   * for a signal no row owes (spans, mostly) cost a visible share of the event loop.
   */
  private readonly heads: Record<AckSignal, number> = { logs: 0, spans: 0, metrics: 0 };
  private releaseTimer: NodeJS.Timeout | undefined;
  private catchUpDone: Promise<void> = Promise.resolve();
  /** Why the catch-up cannot read the journal, while it cannot: batches are refused meanwhile. */
  private replayStalled: string | undefined;

  constructor(private readonly options: DurableStageOptions) {
    this.journal = options.journal;
    this.log = options.log;
    this.codecs = new Map(options.codecs.map((c) => [c.name, c]));
    this.recovered = this.journal.watermarks();
    this.released = { ...this.recovered };
    this.recoveredThrough = this.journal.highestSeq;
  }

  /** Replays what the journal holds from before the last stop, and starts releasing. */
  start(): void {
    if (this.journal.count > 0) {
      // Read from the start by the catch-up, which survives a row that cannot be read.
      this.log.info('replaying deliveries journaled before the last stop', { deliveries: this.journal.count, bytes: this.journal.bytes });
      this.startSpill();
    }
    this.releaseTimer = setInterval(() => this.release(), RELEASE_INTERVAL_MS);
    this.releaseTimer.unref();
  }

  /** True while batches wait in the journal to be handed on (spill or replay). */
  get spilled(): boolean {
    return this.spilling;
  }

  /** For /readyz. */
  state(): { rows: number; bytes: number; spilling: boolean; replayStalled?: string } {
    return { rows: this.journal.count, bytes: this.journal.bytes, spilling: this.spilling, ...(this.replayStalled && { replayStalled: this.replayStalled }) };
  }

  /**
   * Asked before a batch is even read: refuse early when nothing more fits, when the journal
   * cannot be written, or when journaled batches cannot be read back (acknowledging more would
   * promise what cannot be kept).
   */
  refusal(): Refusal | undefined {
    if (!this.journal.fits(0)) return { reason: 'the durable journal is full; the backend is slow or unreachable', retryAfterSeconds: FULL_RETRY_AFTER_S };
    const unavailable = this.journal.unavailable();
    if (unavailable) return unavailable;
    if (this.replayStalled) return { reason: this.replayStalled, retryAfterSeconds: WRITE_FAILED_RETRY_AFTER_S };
    return undefined;
  }

  async consume(batch: Batch): Promise<Receipt> {
    const durable = batch.durable;
    // Nobody was told "kept" for a batch without a codec: there is nothing to journal.
    if (durable === undefined) return this.options.next.consume(batch);
    const codec = this.codecs.get(durable.codec);
    if (codec === undefined) throw new Error(`no codec "${durable.codec}" is registered with the durable stage`);
    const body = durable.raw ?? codec.encode(batch);
    let committed: Promise<number>;
    try {
      committed = this.journal.append({ source: batch.source, codec: codec.name, receivedNs: batch.receivedNs, body });
    } catch (err) {
      if (err instanceof JournalFullError) return { status: 'refused', reason: err.message, retryAfterSeconds: FULL_RETRY_AFTER_S };
      if (err instanceof JournalUnavailableError) return { status: 'refused', reason: err.message, retryAfterSeconds: err.retryAfterSeconds };
      throw err;
    }
    let seq: number;
    try {
      seq = await committed;
    } catch (err) {
      // The journal logs its write faults once per change of state, not once per batch.
      if (err instanceof JournalUnavailableError) return { status: 'refused', reason: err.message, retryAfterSeconds: err.retryAfterSeconds };
      this.log.error('journal write failed; delivery refused', { error: (err as Error).message });
      return { status: 'refused', reason: 'the durable journal could not be written', retryAfterSeconds: WRITE_FAILED_RETRY_AFTER_S };
    }

    if (!this.spilling && this.options.backlog() >= this.options.maxQueuedRecords) {
      this.log.warn('export backlog full: new deliveries stay in the journal until the backend catches up', { queued: this.options.backlog() });
      this.startSpill();
    }
    // Past the cursor: a catch-up that read the committed row before this reply came back from
    // the writer thread has handed it on already.
    if (this.spilling || this.stopped || seq <= this.cursor)
      return { status: 'accepted', events: batch.events.length, duplicates: 0, failedEvents: 0, deferred: true };
    return this.handOn(seq, batch, undefined);
  }

  /** Stop handing journaled batches on (the catch-up ends at its next step). */
  async stopReplay(): Promise<void> {
    this.stopped = true;
    await this.catchUpDone;
  }

  /** Release what was delivered and close the journal; resolves how many rows stay for the next start. */
  async close(): Promise<number> {
    this.stopped = true;
    clearInterval(this.releaseTimer);
    await this.catchUpDone;
    while (this.release());
    const kept = this.journal.count;
    await this.journal.close();
    return kept;
  }

  /**
   * Delete rows all of whose telemetry left the bridge, and persist how far each signal got.
   * True when such rows are left for the next call (the journal deletes in slices).
   */
  private release(): boolean {
    const marks = this.marks();
    const through = Math.min(marks.logs, marks.spans, marks.metrics);
    const same = marks.logs === this.released.logs && marks.spans === this.released.spans && marks.metrics === this.released.metrics;
    if (same && this.deletedThrough >= through) return false;
    // Undefined when nothing could be written (a full disk): the next call tries again.
    const deleted = this.journal.release(through, marks);
    if (deleted === undefined) return false;
    this.deletedThrough = deleted;
    this.released = marks;
    return this.deletedThrough < through;
  }

  /** Per signal, the seq through which every row handed on has it delivered. */
  private marks(): Watermarks {
    const marks = { logs: this.cursor, spans: this.cursor, metrics: this.cursor };
    for (const s of SIGNALS) {
      let i = this.heads[s];
      while (i < this.handed.length && (this.handed[i]!.owed & BIT[s]) === 0) i += 1;
      this.heads[s] = i;
      if (i < this.handed.length) marks[s] = this.handed[i]!.seq - 1;
    }
    const done = Math.min(this.heads.logs, this.heads.spans, this.heads.metrics);
    if (done > 1024 && done * 2 > this.handed.length) {
      this.handed = this.handed.slice(done);
      for (const s of SIGNALS) this.heads[s] -= done;
    }
    return {
      logs: Math.max(marks.logs, this.recovered.logs),
      spans: Math.max(marks.spans, this.recovered.spans),
      metrics: Math.max(marks.metrics, this.recovered.metrics),
    };
  }

  /** Hands a journaled batch on with an acknowledgement for its row; `owed` leaves out what a previous run delivered. */
  private handOn(seq: number, batch: Batch, owed: Readonly<Record<AckSignal, boolean>> | undefined): Promise<Receipt> {
    const entry: Handed = { seq, owed: 0 };
    for (const s of SIGNALS) if (owed === undefined || owed[s]) entry.owed |= BIT[s];
    this.handed.push(entry);
    this.cursor = seq;
    const ack = new BatchAck({ settled: (signal) => (entry.owed &= ~BIT[signal]) }, owed);
    return this.options.next.consume({ ...batch, ack });
  }

  private startSpill(): void {
    if (this.spilling) return;
    this.spilling = true;
    this.catchUpDone = this.catchUp();
  }

  private async catchUp(): Promise<void> {
    const resumeBelow = Math.max(1, Math.floor(this.options.maxQueuedRecords / 2));
    let retryMs = REPLAY_RETRY_FIRST_MS;
    while (!this.stopped) {
      if (this.options.backlog() >= resumeBelow) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      let rows: JournalRow[];
      try {
        rows = this.journal.read(this.cursor, REPLAY_BATCH_ROWS);
      } catch (err) {
        // A damaged file is being replaced (its readable rows come back under the same seqs), or
        // the disk refuses reads: the rows stay journaled, and new batches are refused until they
        // can be read again rather than acknowledged with nothing to export them.
        const reason = `journaled deliveries cannot be read back for export: ${(err as Error).message}`;
        if (this.replayStalled === undefined) this.log.error(reason, { after_seq: this.cursor });
        this.replayStalled = reason;
        await Promise.all([this.journal.whenAvailable(), new Promise((r) => setTimeout(r, retryMs))]);
        retryMs = Math.min(REPLAY_RETRY_MAX_MS, retryMs * 2);
        continue;
      }
      if (this.replayStalled !== undefined) {
        this.log.info('journaled deliveries can be read again; replay resumes', { after_seq: this.cursor });
        this.replayStalled = undefined;
        retryMs = REPLAY_RETRY_FIRST_MS;
      }
      if (rows.length === 0) {
        // Appends still being committed see `spilling` false when they resume and hand
        // themselves on, after everything read here: order is kept.
        this.spilling = false;
        this.log.info('journal caught up; mapping deliveries as they arrive');
        return;
      }
      for (const row of rows) void this.replay(row);
      await new Promise((r) => setImmediate(r));
    }
  }

  private replay(row: JournalRow): Promise<Receipt> | undefined {
    const codec = this.codecs.get(row.codec);
    let batch: Batch;
    try {
      if (codec === undefined || codec.source !== row.source) throw new Error(`no codec for ${row.source}/${row.codec} rows`);
      batch = { ...codec.decode(row.body), source: row.source, receivedNs: row.receivedNs };
    } catch (err) {
      // Rows this code wrote were decoded before they were journaled: one that no longer decodes
      // was damaged on disk (or salvaged from a damaged file).
      this.cursor = row.seq;
      this.options.telemetry.dropped('delivery', 'undecodable_journal_row', 1);
      this.log.error('journal row could not be decoded and is dropped', { seq: row.seq, error: (err as Error).message });
      return undefined;
    }
    // Rows from before a restart: their events count as seen for deduplication again, and they
    // owe only the signals the previous run had not exported (later rows are past every mark).
    const afterRestart = row.seq <= this.recoveredThrough;
    if (afterRestart) this.options.replayed(batch);
    const owed = { logs: row.seq > this.recovered.logs, spans: row.seq > this.recovered.spans, metrics: row.seq > this.recovered.metrics };
    const watcher = this.options.watch?.(batch, { body: row.body, afterRestart });
    if (watcher === undefined) return this.handOn(row.seq, batch, owed);
    const receipt = this.handOn(row.seq, { ...batch, observer: watcher }, owed);
    receipt.then(
      () => watcher.finish(),
      () => watcher.finish(),
    );
    return receipt;
  }
}
