import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Logger } from '../log/logger.js';
import { Checkpointer } from './checkpointer.js';
import { copySalvageable, type PastWalDamage, readPastWalDamage, restorePastWalDamage, type SalvageReport } from './salvage.js';
import { connect, migrate, ROW_OVERHEAD_BYTES, SIGNALS, SQL, type Synchronous, type Watermarks } from './sql.js';
import { describeFault, faultOf, sqliteCode } from './sqlite-fault.js';
import { type JournalWrite, WriteHealth } from './write-health.js';
import { type CommitBatch, CommitWorker } from './writer.js';

export type { SalvageReport } from './salvage.js';
export type { Watermarks } from './sql.js';
export type { JournalWrite } from './write-health.js';

/** A delivery to keep: which source it came from, in which codec its body is, and when it arrived. */
export interface JournalEntry {
  /** The source that received it, e.g. `webhook`. */
  source: string;
  /** How `body` is decoded at replay, e.g. `mist-envelope`. */
  codec: string;
  receivedNs: bigint;
  body: Uint8Array;
}

/** A journaled delivery as read back. */
export interface JournalRow {
  seq: number;
  source: string;
  codec: string;
  receivedNs: bigint;
  body: Buffer;
}

export interface JournalOptions {
  /** Directory of the database file; null keeps the journal in memory (no crash safety). */
  dir: string | null;
  maxBytes: number;
  /** SQLite `synchronous` (README, Reliability: what each survives). */
  synchronous: Synchronous;
  /** Told what went wrong with the journal's file and what was done about it. */
  log: Logger;
  /**
   * Whether a source will append (true by default). A bridge without the webhook source only
   * replays and releases what an earlier run left, a few writes on its own thread: it starts no
   * writer or checkpointer thread, each a V8 isolate of its own in the process's memory. The
   * last connection to close checkpoints the WAL.
   */
  appending?: boolean;
}

/** What the journal went through since it was opened, for /metrics. */
export interface JournalHealth {
  /** Failed writes, by operation. */
  writeErrors: Readonly<Record<JournalWrite, number>>;
  /** Why appends fail right now ("the disk is full (SQLITE_FULL: …)"), or undefined. */
  writeFault: string | undefined;
  /** Damaged journal files moved aside, oldest first. */
  movedAside: readonly string[];
  /** Rows copied out of damaged files into the journal, and rows that could not be read. */
  salvagedRows: number;
  unreadableRows: number;
  /** Worker threads that stopped and were replaced. */
  threadRestarts: Readonly<Record<'writer' | 'checkpointer', number>>;
}

/** Appends are over `maxBytes`: nothing was queued. */
export class JournalFullError extends Error {
  override name = 'JournalFullError';
}

/** The journal cannot take or give rows for now (its disk is full, its file is being replaced). */
export class JournalUnavailableError extends Error {
  override name = 'JournalUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The journal could not be opened at start-up; the message says why in one line. */
export class JournalOpenError extends Error {
  override name = 'JournalOpenError';
}

const CHECKPOINT_INTERVAL_MS = 1000;
// A second group posted while the first commits: the writer starts it the moment the first is
// done, instead of waiting for the answer to reach this thread and a new group to come back.
const MAX_IN_FLIGHT = 2;
// Rows deleted per release at most: a delete of many rows holds the event loop (about 5 µs a
// row), so a backlog draining after an outage is released in slices instead of one long pause.
const MAX_RELEASE_ROWS = 4096;
const UNAVAILABLE_RETRY_AFTER_S = 5;
// After an append failed, deliveries are refused before their body is read for this long; then
// the next ones try again, which is how the journal notices that space came back.
const REFUSE_AFTER_FAILURE_MS = 1000;
const REPLACE_RETRY_MS = 5000;
const REPLACING = 'the journal file was damaged and is being replaced';

interface PendingAppend {
  entry: JournalEntry;
  size: number;
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
}

/** The main connection and its prepared statements. */
interface Connection {
  db: Database.Database;
  insert: Database.Statement;
  readAfter: Database.Statement;
  sizeThrough: Database.Statement;
  deleteThrough: Database.Statement;
  sliceEnd: Database.Statement;
  setMeta: Database.Statement;
}

/**
 * The durable copy of every accepted delivery, in an embedded SQLite database (WAL mode).
 * Appends of concurrent requests are committed together (group commit): on disk by a
 * CommitWorker, with up to two groups on their way while the next gathers; in memory, once per
 * event-loop turn on this connection. A row is deleted only when everything derived from it was
 * exported.
 *
 * Faults of the file are handled here: a write refused for lack of space or by the disk fails
 * that operation only (appends are refused, releases are tried again) until it succeeds again;
 * a file SQLite reports damaged is moved aside, a new one started and every row that can still
 * be read copied into it, under the same seqs (salvage.ts).
 */
export class Journal {
  readonly file: string;
  private readonly log: Logger;
  /** Held for the journal's life: its exclusive lock keeps a second bridge off the directory. */
  private readonly lock: Database.Database | undefined;
  private conn: Connection;
  private checkpointer: Checkpointer | undefined;
  /** Absent for an in-memory journal, which only this connection can see. */
  private writer: CommitWorker | undefined;
  private pending: PendingAppend[] = [];
  private commitScheduled = false;
  /** Group commits posted to the writer and not answered yet. */
  private readonly inFlight = new Set<Promise<void>>();
  private committedBytes = 0;
  private pendingBytes = 0;
  private rows = 0;
  /** The highest seq handed out: a replacement file continues after it. */
  private highest = 0;
  /** The watermarks last stored, carried into a replacement file. */
  private marks: Watermarks = { logs: 0, spans: 0, metrics: 0 };
  /** Set while a damaged file is being replaced; settles when the new one is in use. */
  private replacing: Promise<void> | undefined;
  private closed = false;
  /** Set first thing in close(): a replacement waiting to try again gives up. */
  private readonly closing = new AbortController();
  private readonly health: WriteHealth;
  private readonly movedAside: string[] = [];
  private salvagedRows = 0;
  private unreadableRows = 0;
  private readonly threadRestarts = { writer: 0, checkpointer: 0 };

  constructor(private readonly options: JournalOptions) {
    this.log = options.log;
    this.health = new WriteHealth(this.log);
    const { dir } = options;
    this.file = dir === null ? ':memory:' : join(dir, 'journal.sqlite');
    if (dir !== null) {
      try {
        makeDirectory(dir);
      } catch (err) {
        throw new JournalOpenError(`cannot create the journal directory ${dir}: ${(err as Error).message}`);
      }
      this.lock = lockDirectory(dir);
    }
    // Before SQLite opens the file: its recovery would discard these commits and reset the WAL.
    const pastWalDamage = dir === null ? undefined : this.readPastWalDamage();
    try {
      this.conn = this.open();
    } catch (err) {
      if (dir === null || faultOf(sqliteCode(err)) !== 'corrupt') {
        this.lock?.close();
        throw new JournalOpenError(`cannot open the journal ${this.file}: ${describeFault(err, freeBytes(dir))}`);
      }
      // Start-up on a damaged file: replaced before the bridge listens, so nothing is answered
      // until its readable rows are back in the journal.
      const aside = this.moveAside(err, 'open');
      try {
        this.conn = this.open();
        this.salvaged(aside, drain(copySalvageable(this.conn.db, aside, true)));
      } catch (again) {
        this.lock?.close();
        throw new JournalOpenError(`cannot start a new journal ${this.file} after moving the damaged one aside: ${describeFault(again, freeBytes(dir))}`);
      }
    }
    if (pastWalDamage) this.restorePastWalDamage(pastWalDamage);
    this.startThreads();
  }

  /** Deliveries held (committed). */
  get count(): number {
    return this.rows;
  }

  /** Bytes held or about to be, as counted against `maxBytes`. */
  get bytes(): number {
    return this.committedBytes + this.pendingBytes;
  }

  get durable(): boolean {
    return this.options.dir !== null;
  }

  /** Whether a body of this many bytes would fit now. */
  fits(bodyBytes: number): boolean {
    return this.bytes + bodyBytes + ROW_OVERHEAD_BYTES <= this.options.maxBytes;
  }

  /** Why appends would fail right now (asked before a delivery's body is read), or undefined. */
  unavailable(): { reason: string; retryAfterSeconds: number } | undefined {
    if (this.replacing) return { reason: REPLACING, retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_S };
    const fault = this.health.recentFailure('append', REFUSE_AFTER_FAILURE_MS);
    if (fault) return { reason: `the journal cannot be written: ${fault}`, retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_S };
    return undefined;
  }

  /** Settles once a replacement of a damaged file (if one is under way) is done. */
  async whenAvailable(): Promise<void> {
    while (this.replacing) await this.replacing;
  }

  /**
   * Queue a delivery for the next group commit; resolves with its seq once it is on disk.
   * Throws JournalFullError at once (nothing queued) when it would exceed the budget, and
   * JournalUnavailableError when the file is being replaced; rejects with
   * JournalUnavailableError when the commit fails (disk full, I/O error, damaged file).
   */
  append(entry: JournalEntry): Promise<number> {
    if (this.closed) throw new Error('journal is closed');
    if (this.replacing) throw new JournalUnavailableError(REPLACING, UNAVAILABLE_RETRY_AFTER_S);
    const size = entry.body.byteLength + ROW_OVERHEAD_BYTES;
    if (this.bytes + size > this.options.maxBytes) {
      throw new JournalFullError(`the durable journal is full (${this.bytes} of ${this.options.maxBytes} bytes)`);
    }
    this.pendingBytes += size;
    const done = new Promise<number>((resolve, reject) => this.pending.push({ entry, size, resolve, reject }));
    if (!this.commitScheduled && this.inFlight.size < MAX_IN_FLIGHT) {
      this.commitScheduled = true;
      setImmediate(() => this.commit());
    }
    return done;
  }

  /** Committed rows after `seq`, oldest first. Throws JournalUnavailableError while the file is replaced. */
  read(afterSeq: number, limit: number): JournalRow[] {
    const conn = this.connection();
    try {
      const raw = conn.readAfter.all(afterSeq, limit) as Array<{ seq: bigint; source: string; codec: string; receivedNs: bigint; body: Buffer }>;
      return raw.map((r) => ({ seq: Number(r.seq), source: r.source, codec: r.codec, receivedNs: r.receivedNs, body: r.body }));
    } catch (err) {
      throw this.readFailed(err, 'read');
    }
  }

  /** The highest seq handed out so far (rows up to it may have been released since). */
  get highestSeq(): number {
    return this.highest;
  }

  /** Export progress persisted by the last `release`. */
  watermarks(): Watermarks {
    return { ...this.marks };
  }

  /**
   * Delete rows with seq ≤ `through` (at most MAX_RELEASE_ROWS of them) and persist the
   * per-signal progress, in one transaction. Returns the seq through which rows are now gone;
   * a row left over owes nothing according to `marks` and is skipped if replayed. Returns
   * undefined when nothing could be written (disk full, file replaced): call again later.
   */
  release(through: number, marks: Watermarks): number | undefined {
    if (this.replacing || this.closed) return undefined;
    const conn = this.conn;
    try {
      const cut = conn.sliceEnd.get(through, MAX_RELEASE_ROWS - 1) as number | undefined;
      const upTo = cut ?? through;
      // IMMEDIATE: the writer's connection may commit between a deferred transaction's read and
      // its write, which SQLite refuses instead of waiting.
      const { n, b } = conn.db
        .transaction(() => {
          const size = conn.sizeThrough.get(upTo) as { n: number; b: number };
          if (size.n > 0) conn.deleteThrough.run(upTo);
          for (const key of SIGNALS) conn.setMeta.run(key, marks[key]);
          return size;
        })
        .immediate();
      // Counted once committed: a commit refused for lack of space leaves every row in place.
      this.rows -= n;
      this.committedBytes -= b;
      this.marks = { ...marks };
      this.health.succeeded('release');
      return upTo;
    } catch (err) {
      const code = sqliteCode(err);
      if (faultOf(code) === 'corrupt') this.replace(err, 'release');
      else this.health.failed('release', describeFault(err), this.file);
      return undefined;
    }
  }

  /**
   * Copies every row of another journal file (a damaged one moved aside, another bridge's) that
   * can still be read and was not exported yet into this journal, after its own rows: they are
   * exported like any journaled delivery, owing all their telemetry. For the `journal salvage`
   * command, on a journal no bridge is using.
   */
  salvageFrom(file: string): SalvageReport {
    const report = drain(copySalvageable(this.connection().db, file, false));
    const { n, b } = this.conn.sizeThrough.get(Number.MAX_SAFE_INTEGER) as { n: number; b: number };
    this.rows = n;
    this.committedBytes = b;
    this.salvagedRows += report.salvaged;
    this.unreadableRows += report.unreadable;
    return report;
  }

  /** What the journal went through since it was opened. */
  healthReport(): JournalHealth {
    return {
      writeErrors: this.health.errors,
      writeFault: this.health.fault('append'),
      movedAside: this.movedAside,
      salvagedRows: this.salvagedRows,
      unreadableRows: this.unreadableRows,
      threadRestarts: this.threadRestarts,
    };
  }

  /** Commit what is queued, then close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closing.abort();
    await this.whenAvailable();
    this.commit();
    this.closed = true;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    await this.stopThreads();
    // The last connection to close checkpoints the WAL into the database file.
    closeQuietly(this.conn.db);
    this.lock?.close();
  }

  private connection(): Connection {
    if (this.replacing) throw new JournalUnavailableError(REPLACING, UNAVAILABLE_RETRY_AFTER_S);
    return this.conn;
  }

  /** A read that failed: a damaged file is replaced; the error to throw says to come back. */
  private readFailed(err: unknown, during: string): Error {
    if (faultOf(sqliteCode(err)) === 'corrupt' && this.durable) {
      this.replace(err, during);
      return new JournalUnavailableError(REPLACING, UNAVAILABLE_RETRY_AFTER_S);
    }
    return new JournalUnavailableError(`the journal cannot be read: ${describeFault(err)}`, UNAVAILABLE_RETRY_AFTER_S);
  }

  /** Opens (creating or migrating) the journal file and reads its totals. */
  private open(): Connection {
    const { dir, synchronous } = this.options;
    const db = connect(this.file, synchronous, 1000);
    try {
      if (dir !== null) {
        db.pragma('journal_mode = WAL');
        // The WAL is truncated back to this size after checkpoints instead of keeping its high-water mark.
        db.pragma('journal_size_limit = 16777216');
      }
      migrate(db);
      const conn: Connection = {
        db,
        insert: db.prepare(SQL.insert),
        readAfter: db.prepare(SQL.readAfter).safeIntegers(true),
        sizeThrough: db.prepare(SQL.sizeThrough),
        deleteThrough: db.prepare(SQL.deleteThrough),
        sliceEnd: db.prepare(SQL.sliceEnd).pluck(),
        setMeta: db.prepare(SQL.setMeta),
      };
      const { n, b } = conn.sizeThrough.get(Number.MAX_SAFE_INTEGER) as { n: number; b: number };
      this.rows = n;
      this.committedBytes = b;
      this.highest = Math.max(this.highest, (db.prepare(SQL.sequence).pluck().get() as number | undefined) ?? 0);
      const marks: Watermarks = { logs: 0, spans: 0, metrics: 0 };
      for (const { key, value } of db.prepare(SQL.readMeta).all() as Array<{ key: string; value: number }>) {
        if ((SIGNALS as readonly string[]).includes(key)) marks[key as keyof Watermarks] = value;
      }
      // A replacement file starts from the progress of the one it replaces.
      for (const key of SIGNALS) this.marks[key] = Math.max(this.marks[key], marks[key]);
      return conn;
    } catch (err) {
      closeQuietly(db);
      throw err;
    }
  }

  private startThreads(): void {
    if (this.options.dir === null || this.options.appending === false) return;
    const { synchronous } = this.options;
    this.checkpointer = new Checkpointer(
      { file: this.file, synchronous, intervalMs: CHECKPOINT_INTERVAL_MS },
      {
        result: (failure) => {
          if (!failure) this.health.succeeded('checkpoint');
          else if (faultOf(failure.code) === 'corrupt') this.replace(failure, 'checkpoint');
          else this.health.failed('checkpoint', describeFault(failure), this.file);
        },
        stopped: (reason, restartInMs) => {
          this.threadRestarts.checkpointer += 1;
          this.log.error('the journal checkpointer thread stopped; starting a new one', { reason, restart_in_ms: restartInMs, file: this.file });
        },
      },
    );
    this.writer = new CommitWorker(this.file, synchronous, () => {
      this.threadRestarts.writer += 1;
      this.log.warn('the journal writer thread had stopped; a new one took over', { file: this.file });
    });
  }

  private async stopThreads(): Promise<void> {
    await this.writer?.close();
    await this.checkpointer?.close();
    this.writer = undefined;
    this.checkpointer = undefined;
  }

  /** Renames the damaged file (and its WAL) to a name with the time; returns the new name. */
  private moveAside(cause: unknown, during: string): string {
    const aside = `${this.file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(this.file, aside);
    if (existsSync(`${this.file}-wal`)) renameSync(`${this.file}-wal`, `${aside}-wal`);
    // The shared-memory index is rebuilt from the WAL by whoever opens the file next.
    rmSync(`${this.file}-shm`, { force: true });
    this.movedAside.push(aside);
    this.log.error('the journal file is damaged: moved aside, a new journal started, readable rows are copied into it', {
      file: this.file,
      moved_to: aside,
      during,
      error: describeFault(cause),
    });
    return aside;
  }

  /**
   * A WAL whose commits SQLite's recovery would silently discard (a frame damaged on disk, a power
   * loss with `synchronous: normal`): a copy of it is kept beside the journal, and the rows of the
   * discarded commits are read from its pages. Reading them is best effort: a failure is logged.
   */
  private readPastWalDamage(): (PastWalDamage & { copy: string }) | undefined {
    try {
      const found = readPastWalDamage(this.file);
      if (!found) return undefined;
      const copy = `${this.file}-wal.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      copyFileSync(`${this.file}-wal`, copy);
      return { ...found, copy };
    } catch (err) {
      this.log.error('the journal write-ahead log could not be checked for damage', { file: this.file, error: (err as Error).message });
      return undefined;
    }
  }

  private restorePastWalDamage(found: PastWalDamage & { copy: string }): void {
    const fields = {
      file: this.file,
      wal_copy: found.copy,
      first_bad_frame: found.damage.firstBadFrame,
      discarded_commits: found.damage.discardedCommits,
      problems: found.problems,
    };
    let result: { restored: number; unreadable: number };
    try {
      result = restorePastWalDamage(this.conn.db, found);
    } catch (err) {
      this.log.error('the journal write-ahead log was damaged and the rows of its discarded commits could not be put back', {
        ...fields,
        error: describeFault(err),
      });
      return;
    }
    const { n, b } = this.conn.sizeThrough.get(Number.MAX_SAFE_INTEGER) as { n: number; b: number };
    this.rows = n;
    this.committedBytes = b;
    this.highest = Math.max(this.highest, (this.conn.db.prepare(SQL.sequence).pluck().get() as number | undefined) ?? 0);
    this.movedAside.push(found.copy);
    this.salvagedRows += result.restored;
    this.unreadableRows += result.unreadable;
    this.log.error('the journal write-ahead log was damaged: SQLite discards every commit after the damage; their rows were read from the log and put back', {
      ...fields,
      salvaged: result.restored,
      unreadable: result.unreadable,
    });
  }

  /** Takes a salvage's figures into the totals and says what was saved and what was lost. */
  private salvaged(aside: string, report: SalvageReport): void {
    const { db, setMeta } = this.conn;
    db.transaction(() => {
      for (const key of SIGNALS) setMeta.run(key, Math.max(this.marks[key], report.marks[key]));
    }).immediate();
    for (const key of SIGNALS) this.marks[key] = Math.max(this.marks[key], report.marks[key]);
    const { n, b } = this.conn.sizeThrough.get(Number.MAX_SAFE_INTEGER) as { n: number; b: number };
    this.rows = n;
    this.committedBytes = b;
    this.salvagedRows += report.salvaged;
    this.unreadableRows += report.unreadable;
    const fields = {
      from: aside,
      salvaged: report.salvaged,
      unreadable: report.unreadable,
      already_exported: report.alreadyExported,
      method: report.method,
      problems: report.problems,
    };
    if (report.unreadable > 0) this.log.error('rows of the damaged journal file could not be read; their deliveries are lost', fields);
    else this.log.warn('every row of the damaged journal file that was still owed was salvaged', fields);
  }

  /**
   * Replaces a file SQLite reported damaged while the bridge runs: appends are refused (503)
   * meanwhile, then the journal goes on in the new file, under the same seqs.
   */
  private replace(cause: unknown, during: string): void {
    if (this.replacing || this.closed || this.options.dir === null) return;
    this.replacing = (async () => {
      for (const p of this.pending.splice(0)) {
        this.pendingBytes -= p.size;
        p.reject(new JournalUnavailableError(REPLACING, UNAVAILABLE_RETRY_AFTER_S));
      }
      while (this.inFlight.size > 0) await Promise.all(this.inFlight);
      await this.stopThreads();
      closeQuietly(this.conn.db);
      let aside: string | undefined;
      for (let attempt = 1; !this.closing.signal.aborted; attempt++) {
        try {
          aside ??= this.moveAside(cause, during);
          this.conn = this.open();
          const copy = copySalvageable(this.conn.db, aside, true);
          for (let step = copy.next(); ; step = copy.next()) {
            if (step.done) {
              this.salvaged(aside, step.value);
              break;
            }
            await nextTurn();
          }
          break;
        } catch (err) {
          this.log.error('the damaged journal file could not be replaced yet; deliveries are refused meanwhile', {
            file: this.file,
            attempt,
            retry_in_ms: REPLACE_RETRY_MS,
            error: describeFault(err),
          });
          // A half-filled new file is started again from scratch at the next attempt.
          if (aside !== undefined) {
            closeQuietly(this.conn.db);
            for (const suffix of ['', '-wal', '-shm']) rmSync(this.file + suffix, { force: true });
          }
          await sleep(REPLACE_RETRY_MS, undefined, { signal: this.closing.signal }).catch(() => undefined);
        }
      }
      if (!this.closing.signal.aborted) this.startThreads();
    })()
      .catch((err: unknown) => {
        this.log.error('replacing the damaged journal file failed; deliveries are refused', { file: this.file, error: describeFault(err) });
      })
      .finally(() => {
        this.replacing = undefined;
      });
  }

  private commit(): void {
    this.commitScheduled = false;
    // Two groups committing: what gathers meanwhile goes when one is done (below).
    if (this.inFlight.size >= MAX_IN_FLIGHT || this.replacing) return;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    if (this.writer) {
      const done = this.writer.commit(pack(batch)).then(
        (seqs) => this.committed(batch, seqs),
        (err: Error) => this.failed(batch, err),
      );
      this.inFlight.add(done);
      // What gathered while groups were committing goes next, at once.
      void done.then(() => {
        this.inFlight.delete(done);
        this.commit();
      });
      return;
    }
    let seqs: number[];
    try {
      const { insert } = this.conn;
      seqs = this.conn.db.transaction(() =>
        batch.map((p) => Number(insert.run(p.entry.source, p.entry.codec, p.entry.receivedNs, p.size, p.entry.body).lastInsertRowid)),
      )();
    } catch (err) {
      this.failed(batch, err as Error);
      return;
    }
    this.committed(batch, seqs);
  }

  private committed(batch: PendingAppend[], seqs: number[]): void {
    for (const p of batch) {
      this.pendingBytes -= p.size;
      this.committedBytes += p.size;
    }
    this.rows += batch.length;
    this.highest = Math.max(this.highest, seqs[seqs.length - 1] ?? 0);
    this.health.succeeded('append');
    for (const [i, p] of batch.entries()) p.resolve(seqs[i]!);
  }

  private failed(batch: PendingAppend[], err: Error): void {
    for (const p of batch) this.pendingBytes -= p.size;
    // A CommitError carries SQLite's code from the writer thread.
    const code = sqliteCode(err);
    const cause = describeFault(err);
    let refusal: JournalUnavailableError;
    if (faultOf(code) === 'corrupt' && this.durable) {
      this.replace(err, 'append');
      refusal = new JournalUnavailableError(REPLACING, UNAVAILABLE_RETRY_AFTER_S);
    } else {
      this.health.failed('append', cause, this.file);
      refusal = new JournalUnavailableError(`the journal cannot be written: ${cause}`, UNAVAILABLE_RETRY_AFTER_S);
    }
    for (const p of batch) p.reject(refusal);
  }
}

/**
 * Two bridges on one directory would export each other's rows twice: the first one holds this
 * lock for its whole life (the OS releases it when the process dies, even on SIGKILL). It is a
 * database of its own so that the journal itself stays open to the worker threads.
 */
function lockDirectory(dir: string): Database.Database {
  const file = join(dir, 'journal.lock');
  let lock: Database.Database;
  try {
    lock = new Database(file, { timeout: 0 });
  } catch (err) {
    throw new JournalOpenError(`cannot open the journal lock ${file}: ${describeFault(err, freeBytes(dir))}`);
  }
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // Takes the exclusive lock and, in this locking mode, keeps it. Writes nothing once the file
    // exists, so a bridge restarted on a full disk can still lock its directory.
    lock.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    lock.close();
    if (faultOf(sqliteCode(err)) === 'locked') throw new JournalOpenError(`the journal in ${dir} is locked by another running bridge`);
    throw new JournalOpenError(`cannot lock the journal in ${dir}: ${describeFault(err, freeBytes(dir))}`);
  }
  return lock;
}

/**
 * `mkdir -p`, by hand: Node's recursive mkdir retries for ever where a directory cannot be made
 * under a parent that exists (/proc answers ENOENT; nodejs/node#42808 for ENOSPC reported as
 * ENOENT), holding the event loop at 100% CPU.
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw new Error('it exists and is not a directory');
      return;
    }
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDirectory(parent);
    // ENOENT again, with the parent there: the file system takes no directory here (/proc).
    mkdirSync(dir);
  }
}

/** Free bytes for the journal in `dir`; undefined where it cannot be told (or on a pseudo file system, which has no blocks). */
function freeBytes(dir: string | null): number | undefined {
  if (dir === null) return undefined;
  try {
    const s = statfsSync(dir);
    return s.blocks > 0 ? s.bavail * s.bsize : undefined;
  } catch {
    return undefined;
  }
}

function closeQuietly(db: Database.Database): void {
  try {
    if (db.open) db.close();
  } catch {
    // A damaged or unwritable file may refuse the checkpoint a close runs; its WAL stays beside it.
  }
}

function drain<R>(steps: Generator<void, R>): R {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** One contiguous copy of the group's bodies, moved (not copied again) to the writer thread. */
function pack(batch: PendingAppend[]): CommitBatch {
  let total = 0;
  for (const p of batch) total += p.entry.body.byteLength;
  const packed: CommitBatch = { sources: [], codecs: [], receivedNs: [], sizes: [], ends: [], data: new Uint8Array(total) };
  let at = 0;
  for (const p of batch) {
    packed.data.set(p.entry.body, at);
    at += p.entry.body.byteLength;
    packed.sources.push(p.entry.source);
    packed.codecs.push(p.entry.codec);
    packed.receivedNs.push(p.entry.receivedNs);
    packed.sizes.push(p.size);
    packed.ends.push(at);
  }
  return packed;
}
