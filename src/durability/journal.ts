import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Checkpointer } from './checkpointer.js';
import { CommitWorker, type CommitBatch } from './writer.js';

/** One accepted delivery as it was journaled: the decoded body is replayed through the pipeline. */
export interface JournalRow {
  seq: number;
  topic: string;
  receivedNs: bigint;
  body: Buffer;
}

/** Per signal: every journal row with seq ≤ this value has had that signal exported. */
export interface Watermarks {
  logs: number;
  spans: number;
  metrics: number;
}

export interface JournalOptions {
  /** Directory of the database file; null keeps the journal in memory (no crash safety). */
  dir: string | null;
  maxBytes: number;
  /** SQLite `synchronous`: NORMAL survives a process crash, FULL also a power loss. */
  synchronous: 'normal' | 'full';
  /** Told about background checkpoint failures (the journal keeps working; the WAL grows). */
  onCheckpointError?: (message: string) => void;
}

const CHECKPOINT_INTERVAL_MS = 1000;
// A second group posted while the first commits: the writer starts it the moment the first is
// done, instead of waiting for the answer to reach this thread and a new group to come back.
const MAX_IN_FLIGHT = 2;

export class JournalFullError extends Error {
  override name = 'JournalFullError';
}

// Rows deleted per release at most: a delete of many rows holds the event loop (about 5 µs a
// row), so a backlog draining after an outage is released in slices instead of one long pause.
const MAX_RELEASE_ROWS = 4096;

// Accounted per row besides the body: seq, topic, receipt time and SQLite's own row overhead.
const ROW_OVERHEAD_BYTES = 64;

interface PendingAppend {
  topic: string;
  receivedNs: bigint;
  body: Uint8Array;
  size: number;
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
}

/**
 * The durable copy of every accepted delivery, in an embedded SQLite database (WAL mode).
 * Appends of concurrent requests are committed together (group commit): on disk by a
 * CommitWorker, with up to two groups on their way while the next gathers; in memory, once per
 * event-loop turn on this connection. A row is deleted only when everything derived from it was exported.
 */
export class Journal {
  readonly file: string;
  private readonly db: Database.Database;
  /** Held for the journal's life: its exclusive lock keeps a second bridge off the directory. */
  private readonly lock: Database.Database | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  /** Absent for an in-memory journal, which only this connection can see. */
  private readonly writer: CommitWorker | undefined;
  private readonly insert: Database.Statement;
  private readonly readAfter: Database.Statement;
  private readonly sizeThrough: Database.Statement;
  private readonly deleteThrough: Database.Statement;
  private readonly sliceEnd: Database.Statement;
  private readonly setMeta: Database.Statement;
  private pending: PendingAppend[] = [];
  private commitScheduled = false;
  /** Group commits posted to the writer and not answered yet. */
  private readonly inFlight = new Set<Promise<void>>();
  private committedBytes = 0;
  private pendingBytes = 0;
  private rows = 0;
  private closed = false;

  constructor(private readonly options: JournalOptions) {
    if (options.dir !== null) mkdirSync(options.dir, { recursive: true });
    this.file = options.dir === null ? ':memory:' : join(options.dir, 'journal.sqlite');
    if (options.dir !== null) {
      // Two bridges on one directory would export each other's rows twice: the first one holds
      // this lock for its whole life (the OS releases it when the process dies, even on SIGKILL).
      // It is a database of its own so that the journal itself stays open to the checkpointer.
      this.lock = new Database(join(options.dir, 'journal.lock'), { timeout: 0 });
      this.lock.pragma('locking_mode = EXCLUSIVE');
      try {
        this.lock.exec('CREATE TABLE IF NOT EXISTS held (x); DELETE FROM held;');
      } catch (err) {
        this.lock.close();
        throw new Error(`the journal in ${options.dir} is locked by another running bridge (${(err as Error).message})`);
      }
    }
    this.db = new Database(this.file, { timeout: 1000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
    // Checkpoints run in a worker (see Checkpointer), never inside a request's commit.
    this.db.pragma(`wal_autocheckpoint = ${options.dir === null ? 1000 : 0}`);
    // The WAL is truncated back to this size after checkpoints instead of keeping its high-water mark.
    this.db.pragma('journal_size_limit = 16777216');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        received_ns INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        body BLOB NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    this.insert = this.db.prepare('INSERT INTO deliveries (topic, received_ns, bytes, body) VALUES (?, ?, ?, ?)');
    this.readAfter = this.db
      .prepare('SELECT seq, topic, received_ns AS receivedNs, body FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?')
      .safeIntegers(true);
    this.sizeThrough = this.db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM deliveries WHERE seq <= ?');
    this.deleteThrough = this.db.prepare('DELETE FROM deliveries WHERE seq <= ?');
    this.sliceEnd = this.db.prepare('SELECT seq FROM deliveries WHERE seq <= ? ORDER BY seq LIMIT 1 OFFSET ?').pluck();
    this.setMeta = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    const { n, b } = this.sizeThrough.get(Number.MAX_SAFE_INTEGER) as { n: number; b: number };
    this.rows = n;
    this.committedBytes = b;
    if (options.dir !== null) {
      this.checkpointer = new Checkpointer(this.file, options.synchronous, CHECKPOINT_INTERVAL_MS, options.onCheckpointError ?? (() => undefined));
      this.writer = new CommitWorker(this.file, options.synchronous);
    }
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

  /**
   * Queue a delivery for the next group commit; resolves with its seq once it is on disk.
   * Throws JournalFullError at once (nothing queued) when it would exceed the budget.
   */
  append(topic: string, receivedNs: bigint, body: Uint8Array): Promise<number> {
    if (this.closed) throw new Error('journal is closed');
    const size = body.byteLength + ROW_OVERHEAD_BYTES;
    if (this.bytes + size > this.options.maxBytes) {
      throw new JournalFullError(`the durable journal is full (${this.bytes} of ${this.options.maxBytes} bytes)`);
    }
    this.pendingBytes += size;
    const done = new Promise<number>((resolve, reject) => this.pending.push({ topic, receivedNs, body, size, resolve, reject }));
    if (!this.commitScheduled && this.inFlight.size < MAX_IN_FLIGHT) {
      this.commitScheduled = true;
      setImmediate(() => this.commit());
    }
    return done;
  }

  /** Committed rows after `seq`, oldest first. */
  read(afterSeq: number, limit: number): JournalRow[] {
    const raw = this.readAfter.all(afterSeq, limit) as Array<{ seq: bigint; topic: string; receivedNs: bigint; body: Buffer }>;
    return raw.map((r) => ({ seq: Number(r.seq), topic: r.topic, receivedNs: r.receivedNs, body: r.body }));
  }

  /** The highest seq held (0 when empty). */
  maxSeq(): number {
    const row = this.db.prepare('SELECT coalesce(max(seq), 0) AS m FROM deliveries').get() as { m: number };
    return row.m;
  }

  /** Export progress persisted by the last `release`. */
  watermarks(): Watermarks {
    const rows = this.db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: number }>;
    const marks: Watermarks = { logs: 0, spans: 0, metrics: 0 };
    for (const { key, value } of rows) if (key in marks) marks[key as keyof Watermarks] = value;
    return marks;
  }

  /**
   * Delete rows with seq ≤ `through` (at most MAX_RELEASE_ROWS of them) and persist the
   * per-signal progress, in one transaction. Returns the seq through which rows are now gone;
   * a row left over owes nothing according to `marks` and is skipped if replayed.
   */
  release(through: number, marks: Watermarks): number {
    const cut = this.sliceEnd.get(through, MAX_RELEASE_ROWS - 1) as number | undefined;
    const upTo = cut ?? through;
    // IMMEDIATE: the writer's connection may commit between a deferred transaction's read and
    // its write, which SQLite refuses instead of waiting.
    this.db
      .transaction(() => {
        const { n, b } = this.sizeThrough.get(upTo) as { n: number; b: number };
        if (n > 0) this.deleteThrough.run(upTo);
        for (const key of ['logs', 'spans', 'metrics'] as const) this.setMeta.run(key, marks[key]);
        this.rows -= n;
        this.committedBytes -= b;
      })
      .immediate();
    return upTo;
  }

  /** Commit what is queued, then close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.commit();
    this.closed = true;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    await this.writer?.close();
    await this.checkpointer?.close();
    // The last connection to close checkpoints the WAL into the database file.
    this.db.close();
    this.lock?.close();
  }

  private commit(): void {
    this.commitScheduled = false;
    // Two groups committing: what gathers meanwhile goes when one is done (below).
    if (this.inFlight.size >= MAX_IN_FLIGHT) return;
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
      seqs = this.db.transaction(() => batch.map((p) => Number(this.insert.run(p.topic, p.receivedNs, p.size, p.body).lastInsertRowid)))();
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
    batch.forEach((p, i) => p.resolve(seqs[i]!));
  }

  private failed(batch: PendingAppend[], err: Error): void {
    for (const p of batch) this.pendingBytes -= p.size;
    for (const p of batch) p.reject(err);
  }
}

/** One contiguous copy of the group's bodies, moved (not copied again) to the writer thread. */
function pack(batch: PendingAppend[]): CommitBatch {
  let total = 0;
  for (const p of batch) total += p.body.byteLength;
  const packed: CommitBatch = { topics: [], receivedNs: [], sizes: [], ends: [], data: new Uint8Array(total) };
  let at = 0;
  for (const p of batch) {
    packed.data.set(p.body, at);
    at += p.body.byteLength;
    packed.topics.push(p.topic);
    packed.receivedNs.push(p.receivedNs);
    packed.sizes.push(p.size);
    packed.ends.push(at);
  }
  return packed;
}
