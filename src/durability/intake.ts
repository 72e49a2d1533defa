import type { EventDeduplicator } from '../dedup/window.js';
import { decodeEnvelope, type Envelope } from '../envelope/decode.js';
import type { Logger } from '../log/logger.js';
import type { Pipeline } from '../pipeline.js';
import type { SelfTelemetry } from '../self/telemetry.js';
import { JournalFullError, type Journal, type JournalRow, type Watermarks } from './journal.js';

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

  constructor(private readonly options: IntakeOptions) {
    this.journal = options.journal;
    this.pipeline = options.pipeline;
    this.log = options.log;
    this.recovered = this.journal.watermarks();
    this.released = { ...this.recovered };
    const pending = this.journal.read(0, 1)[0];
    this.recoveredThrough = this.journal.maxSeq();
    if (pending) {
      this.log.info('replaying deliveries journaled before the last stop', { deliveries: this.journal.count, bytes: this.journal.bytes });
      this.cursor = pending.seq - 1;
      this.startSpill();
    }
    this.releaseTimer = setInterval(() => this.release(), RELEASE_INTERVAL_MS);
    this.releaseTimer.unref();
  }

  /** True while deliveries wait in the journal to be mapped (spill or replay). */
  get spilled(): boolean {
    return this.spilling;
  }

  /** Asked before the body is read: refuse early when nothing more fits. */
  refusal(): { reason: string; retryAfterSeconds: number } | undefined {
    if (this.journal.fits(0)) return undefined;
    return { reason: 'the durable journal is full; the backend is slow or unreachable', retryAfterSeconds: FULL_RETRY_AFTER_S };
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
      committed = this.journal.append(topic, receivedNs, stored);
    } catch (err) {
      if (err instanceof JournalFullError) return { status: 'refused', reason: err.message, retryAfterSeconds: FULL_RETRY_AFTER_S };
      throw err;
    }
    verdict.remember();
    let seq: number;
    try {
      seq = await committed;
    } catch (err) {
      verdict.forget();
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
    this.deletedThrough = this.journal.release(through, marks);
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
    this.catchUpDone = this.catchUp().catch((err: unknown) => {
      // A read error leaves the rows in the journal; the next start replays them.
      this.log.error('journal replay failed; the remaining deliveries stay journaled', { error: (err as Error).message });
    });
  }

  private async catchUp(): Promise<void> {
    const resumeBelow = Math.max(1, Math.floor(this.options.maxQueuedRecords / 2));
    while (!this.stopped) {
      if (this.pipeline.backlog >= resumeBelow) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const rows = this.journal.read(this.cursor, REPLAY_BATCH_ROWS);
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
      envelope = decodeEnvelope(row.body);
    } catch (err) {
      // Cannot happen for rows this code wrote (they were decoded before); say so if it does.
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
