import type { EventDeduplicator } from '../dedup/window.js';
import { decodeEnvelope, type Envelope } from '../envelope/decode.js';
import type { Logger } from '../log/logger.js';
import type { Pipeline } from '../pipeline.js';
import type { SelfTelemetry } from '../self/telemetry.js';
import { JournalFullError, JournalUnavailableError, type Journal, type JournalRow, type Watermarks } from './journal.js';

export type Admission =
  | {
      status: 'accepted';
      events: number;
      duplicates: number;
      failedEvents: number;
      /** Journaled but not mapped yet: the in-memory export backlog is full or a replay is running. */
      deferred: boolean;
    }
  | { status: 'refused'; reason: string; retryAfterSeconds: number };

export interface IntakeOptions {
  journal: Journal;
  dedup: EventDeduplicator;
  pipeline: Pipeline;
  /** Records waiting in memory for export beyond which deliveries stay in the journal only. */
  maxQueuedRecords: number;
  telemetry: SelfTelemetry;
  log: Logger;
}

// How long a refused sender is asked to wait: the journal drains as fast as the backend takes it.
const FULL_RETRY_AFTER_S = 30;
const WRITE_FAILED_RETRY_AFTER_S = 5;
const REPLAY_BATCH_ROWS = 64;
const RELEASE_INTERVAL_MS = 250;
const REPLAY_RETRY_FIRST_MS = 100;
const REPLAY_RETRY_MAX_MS = 2000;

/** The source and codec of the rows this intake writes (the webhook's). */
const WEBHOOK_ROW = { source: 'webhook', codec: 'mist-envelope' } as const;

/**
 * Between ingress and the pipeline: drops duplicate events, makes each delivery durable before
 * it is acknowledged, and releases its durable copy once its telemetry is exported.
 *
 * Live, a committed delivery goes straight to the pipeline (the parsed envelope, no re-read).
 * When the in-memory export backlog is over budget, or the journal holds rows from before a
 * restart, the intake "spills": deliveries stay in the journal only and a catch-up loop maps
 * them in seq order as the backlog drains, until it reaches the end and live mapping resumes.
 */
export class DurableIntake {
  private readonly journal: Journal;
  private readonly pipeline: Pipeline;
  private readonly log: Logger;
  /** The last journal seq handed to the pipeline. */
  private cursor = 0;
  private spilling = false;
  private stopped = false;
  /** Progress persisted by the previous run; rows up to it owe only what it had not exported. */
  private readonly recovered: Watermarks;
  private readonly recoveredThrough: number;
  private released: Watermarks;
  /** Rows with seq ≤ this are deleted. */
  private deletedThrough = 0;
  private releaseTimer: NodeJS.Timeout | undefined;
  private catchUpDone: Promise<void> = Promise.resolve();
  /** Why the catch-up cannot read the journal, while it cannot: deliveries are refused meanwhile. */
  private replayStalled: string | undefined;

  constructor(private readonly options: IntakeOptions) {
    this.journal = options.journal;
    this.pipeline = options.pipeline;
    this.log = options.log;
    this.recovered = this.journal.watermarks();
    this.released = { ...this.recovered };
    this.recoveredThrough = this.journal.highestSeq;
    if (this.journal.count > 0) {
      // Read from the start by the catch-up, which survives a row that cannot be read.
      this.log.info('replaying deliveries journaled before the last stop', { deliveries: this.journal.count, bytes: this.journal.bytes });
      this.startSpill();
    }
    this.releaseTimer = setInterval(() => this.release(), RELEASE_INTERVAL_MS);
    this.releaseTimer.unref();
  }

  /** True while deliveries wait in the journal to be mapped (spill or replay). */
  get spilled(): boolean {
    return this.spilling;
  }

  /**
   * Asked before the body is read: refuse early when nothing more fits, when the journal cannot
   * be written, or when journaled deliveries cannot be read back for export (acknowledging more
   * would promise what cannot be kept).
   */
  refusal(): { reason: string; retryAfterSeconds: number } | undefined {
    if (!this.journal.fits(0)) {
      return { reason: 'the durable journal is full; the backend is slow or unreachable', retryAfterSeconds: FULL_RETRY_AFTER_S };
    }
    const unavailable = this.journal.unavailable();
    if (unavailable) return unavailable;
    if (this.replayStalled) return { reason: this.replayStalled, retryAfterSeconds: WRITE_FAILED_RETRY_AFTER_S };
    return undefined;
  }

  async accept(envelope: Envelope, body: Uint8Array, receivedNs: bigint): Promise<Admission> {
    const { topic } = envelope;
    const verdict = this.options.dedup.check(topic, envelope.events);
    const duplicates = verdict.dropped;
    if (verdict.kept.length === 0) {
      this.options.telemetry.events(topic, 0, duplicates, 0);
      return { status: 'accepted', events: 0, duplicates, failedEvents: 0, deferred: false };
    }
    const kept: Envelope = duplicates === 0 ? envelope : { topic, events: verdict.kept };
    // The journal keeps the body as received unless duplicates were taken out of it.
    const stored = duplicates === 0 ? body : Buffer.from(JSON.stringify(kept));

    let committed: Promise<number>;
    try {
      committed = this.journal.append({ ...WEBHOOK_ROW, receivedNs, body: stored });
    } catch (err) {
      if (err instanceof JournalFullError) return { status: 'refused', reason: err.message, retryAfterSeconds: FULL_RETRY_AFTER_S };
      if (err instanceof JournalUnavailableError) return { status: 'refused', reason: err.message, retryAfterSeconds: err.retryAfterSeconds };
      throw err;
    }
    verdict.remember();
    let seq: number;
    try {
      seq = await committed;
    } catch (err) {
      verdict.forget();
      // The journal logs its write faults once per change of state, not once per delivery.
      if (err instanceof JournalUnavailableError) return { status: 'refused', reason: err.message, retryAfterSeconds: err.retryAfterSeconds };
      this.log.error('journal write failed; delivery refused', { error: (err as Error).message });
      return { status: 'refused', reason: 'the durable journal could not be written', retryAfterSeconds: WRITE_FAILED_RETRY_AFTER_S };
    }

    this.options.telemetry.events(topic, kept.events.length, duplicates, 0);
    if (!this.spilling && this.pipeline.backlog >= this.options.maxQueuedRecords) {
      this.log.warn('export backlog full: new deliveries stay in the journal until the backend catches up', {
        queued: this.pipeline.backlog,
      });
      this.startSpill();
    }
    // Past the cursor: a catch-up that read the committed row before this reply came back from
    // the writer thread has mapped it already.
    if (this.spilling || this.stopped || seq <= this.cursor) {
      return { status: 'accepted', events: kept.events.length, duplicates, failedEvents: 0, deferred: true };
    }
    const result = this.map(seq, kept, receivedNs, { logs: true, spans: true, metrics: true });
    return { status: 'accepted', events: result.events, duplicates, failedEvents: result.failedEvents, deferred: false };
  }

  /**
   * Delete journal rows whose telemetry was exported, and persist how far each signal got (so a
   * restart does not export a row's log records again when only its metrics were outstanding).
   * True when exported rows are left for the next call (the journal deletes in slices).
   */
  release(now: Watermarks = this.pipeline.exportedThrough()): boolean {
    const marks: Watermarks = {
      logs: Math.max(now.logs, this.recovered.logs),
      spans: Math.max(now.spans, this.recovered.spans),
      metrics: Math.max(now.metrics, this.recovered.metrics),
    };
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

  /**
   * Stop mapping, export what is mapped until `deadline`, release what was exported and close the
   * journal. What is not exported stays in it for the next start.
   */
  async shutdown(deadline: number): Promise<{ flushed: boolean; keptDeliveries: number }> {
    this.stopped = true;
    clearInterval(this.releaseTimer);
    await this.catchUpDone;
    const { flushed, exported } = await this.pipeline.shutdown(deadline);
    while (this.release(exported));
    const keptDeliveries = this.journal.count;
    await this.journal.close();
    return { flushed, keptDeliveries };
  }

  private map(seq: number, envelope: Envelope, receivedNs: bigint, owed: { logs: boolean; spans: boolean; metrics: boolean }) {
    const result = this.pipeline.accept(envelope, receivedNs, seq, owed);
    this.cursor = seq;
    if (result.failedEvents > 0) this.options.telemetry.events(envelope.topic, 0, 0, result.failedEvents);
    return result;
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
      if (this.pipeline.backlog >= resumeBelow) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      let rows: JournalRow[];
      try {
        rows = this.journal.read(this.cursor, REPLAY_BATCH_ROWS);
      } catch (err) {
        // A damaged file is being replaced (its readable rows come back under the same seqs), or
        // the disk refuses reads: the rows stay journaled, and new deliveries are refused until
        // they can be read again rather than acknowledged with nothing to export them.
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
        // Appends still being committed see `spilling` false when they resume and map
        // themselves, after everything read here: order is kept.
        this.spilling = false;
        this.log.info('journal caught up; mapping deliveries as they arrive');
        return;
      }
      for (const row of rows) this.replay(row);
      await new Promise((r) => setImmediate(r));
    }
  }

  private replay(row: JournalRow): void {
    let envelope: Envelope;
    try {
      if (row.source !== WEBHOOK_ROW.source || row.codec !== WEBHOOK_ROW.codec) throw new Error(`no codec for ${row.source}/${row.codec} rows`);
      envelope = decodeEnvelope(row.body);
    } catch (err) {
      // Rows this code wrote were decoded before they were journaled: one that no longer decodes
      // was damaged on disk (or salvaged from a damaged file).
      this.cursor = row.seq;
      this.options.telemetry.dropped('delivery', 'undecodable_journal_row', 1);
      this.log.error('journal row could not be decoded and is dropped', { seq: row.seq, error: (err as Error).message });
      return;
    }
    // Rows from before a restart: their events count as seen for deduplication again, and they
    // owe only the signals the previous run had not exported (later rows are past every mark).
    if (row.seq <= this.recoveredThrough) this.options.dedup.check(envelope.topic, envelope.events).remember();
    const owed = { logs: row.seq > this.recovered.logs, spans: row.seq > this.recovered.spans, metrics: row.seq > this.recovered.metrics };
    this.map(row.seq, envelope, row.receivedNs, owed);
  }
}
