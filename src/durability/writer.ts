import type { Worker } from 'node:worker_threads';
import type { Synchronous } from './sql.js';
import { startThread } from './threads.js';
import type { CommitBatch, WriterData, WriterReply, WriterRequest } from './writer-thread.js';

export type { CommitBatch } from './writer-thread.js';

/** A group commit that did not happen; `code` is SQLite's when SQLite refused it. */
export class CommitError extends Error {
  override name = 'CommitError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const RESTART_AFTER_MS = 1000;

/**
 * Commits journal appends on a connection of its own in a worker thread (writer-thread.ts). An
 * insert transaction cost the event loop about 60 µs plus 3 µs a row (BENCHMARKS.md); here the
 * request path only packs the bodies and posts them, and while commits run the next group
 * gathers, so groups grow with the load instead of with the length of one loop turn.
 * Replies come back in the order batches were posted (one worker, one queue).
 */
export class CommitWorker {
  private worker: Worker;
  private readonly waiting: Array<{ resolve: (seqs: number[]) => void; reject: (err: Error) => void }> = [];
  /** Why the writer thread stopped, and when; the next commit a second later starts a new one. */
  private failure: { error: Error; atMs: number } | undefined;
  private closing = false;

  constructor(
    private readonly file: string,
    private readonly synchronous: Synchronous,
    /** Told each time a thread that stopped is replaced. */
    private readonly onRestart: () => void,
  ) {
    this.worker = this.start();
  }

  /** Resolves with the rows' seqs once they are committed; rejects with a CommitError. */
  commit(batch: CommitBatch): Promise<number[]> {
    if (this.failure) {
      // A thread that died (out of memory, a bug) is replaced rather than refusing every
      // delivery until a restart; at most once a second, so a writer that cannot even start
      // does not spin.
      if (Date.now() - this.failure.atMs < RESTART_AFTER_MS) return Promise.reject(this.failure.error);
      this.failure = undefined;
      this.worker = this.start();
      this.onRestart();
    }
    return new Promise((resolve, reject) => {
      // Referenced while a commit is owed, so the process waits for it; idle, it keeps nothing alive.
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve, reject });
      const request: WriterRequest = batch;
      this.worker.postMessage(request, [batch.data.buffer as ArrayBuffer]);
    });
  }

  /** Close once every posted batch is answered. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would let the process exit before it reports its own exit.
    this.worker.ref();
    const request: WriterRequest = 'close';
    this.worker.postMessage(request);
    await exited;
  }

  private start(): Worker {
    const data: WriterData = { file: this.file, synchronous: this.synchronous };
    const worker = startThread('writer-thread', data);
    worker.on('message', (m: WriterReply) => {
      const next = this.waiting.shift();
      if (!next) return;
      if (this.waiting.length === 0) worker.unref();
      if ('seqs' in m) next.resolve(m.seqs);
      else next.reject(new CommitError(m.error, m.code));
    });
    worker.on('error', (err) => this.fail(worker, new CommitError(`the journal writer thread failed: ${err.message}`, undefined)));
    worker.on('exit', () => this.fail(worker, new CommitError('the journal writer thread stopped', undefined)));
    worker.unref();
    return worker;
  }

  private fail(worker: Worker, error: Error): void {
    if (worker !== this.worker || this.closing || this.failure) return;
    this.failure = { error, atMs: Date.now() };
    for (const w of this.waiting.splice(0)) w.reject(error);
  }
}
