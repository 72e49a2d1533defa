import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** One group commit: the rows' bodies packed end to end in `data`, `ends[i]` where row i stops. */
export interface CommitBatch {
  topics: string[];
  receivedNs: bigint[];
  sizes: number[];
  ends: number[];
  data: Uint8Array;
}

const RESTART_AFTER_MS = 1000;

// Plain CommonJS evaluated in the worker, so it runs the same under tsx, vitest and the build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 5000 });
db.pragma('synchronous = ' + workerData.synchronous);
db.pragma('wal_autocheckpoint = 0');
const insert = db.prepare('INSERT INTO deliveries (topic, received_ns, bytes, body) VALUES (?, ?, ?, ?)');
const write = db.transaction((b) => {
  const seqs = new Array(b.topics.length);
  const data = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  let start = 0;
  for (let i = 0; i < seqs.length; i++) {
    seqs[i] = Number(insert.run(b.topics[i], b.receivedNs[i], b.sizes[i], data.subarray(start, b.ends[i])).lastInsertRowid);
    start = b.ends[i];
  }
  return seqs;
});
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ seqs: write.immediate(m) });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

/**
 * Commits journal appends on a connection of its own in a worker thread. An insert
 * transaction cost the event loop about 60 µs plus 3 µs a row (BENCHMARKS.md); here the
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
    private readonly synchronous: 'normal' | 'full',
  ) {
    this.worker = this.start();
  }

  /** Resolves with the rows' seqs once they are committed. */
  commit(batch: CommitBatch): Promise<number[]> {
    if (this.failure) {
      // A thread that died (out of memory, a bug) is replaced rather than refusing every
      // delivery until a restart; at most once a second, so a writer that cannot even open the
      // database does not spin.
      if (Date.now() - this.failure.atMs < RESTART_AFTER_MS) return Promise.reject(this.failure.error);
      this.failure = undefined;
      this.worker = this.start();
    }
    return new Promise((resolve, reject) => {
      // Referenced while a commit is owed, so the process waits for it; idle, it keeps nothing alive.
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(batch, [batch.data.buffer as ArrayBuffer]);
    });
  }

  /** Close once every posted batch is answered. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would let the process exit before it reports its own exit.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }

  private start(): Worker {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file: this.file, synchronous: this.synchronous.toUpperCase() },
      // The parent's --import (tsx) is not needed in the worker and would only slow its start.
      execArgv: [],
    });
    worker.on('message', (m: { seqs?: number[]; error?: string }) => {
      const next = this.waiting.shift();
      if (!next) return;
      if (this.waiting.length === 0) worker.unref();
      if (m.seqs) next.resolve(m.seqs);
      else next.reject(new Error(m.error));
    });
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', () => this.fail(worker, new Error('the journal writer thread stopped')));
    worker.unref();
    return worker;
  }

  private fail(worker: Worker, error: Error): void {
    if (worker !== this.worker || this.closing || this.failure) return;
    this.failure = { error, atMs: Date.now() };
    for (const w of this.waiting.splice(0)) w.reject(error);
  }
}
