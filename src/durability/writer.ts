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
  private readonly worker: Worker;
  private readonly waiting: Array<{ resolve: (seqs: number[]) => void; reject: (err: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(file: string, synchronous: 'normal' | 'full') {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file, synchronous: synchronous.toUpperCase() },
      // The parent's --import (tsx) is not needed in the worker and would only slow its start.
      execArgv: [],
    });
    this.worker.on('message', (m: { seqs?: number[]; error?: string }) => {
      const next = this.waiting.shift();
      if (!next) return;
      if (this.waiting.length === 0) this.worker.unref();
      if (m.seqs) next.resolve(m.seqs);
      else next.reject(new Error(m.error));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('the journal writer stopped')));
    this.worker.unref();
  }

  /** Resolves with the rows' seqs once they are committed. */
  commit(batch: CommitBatch): Promise<number[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      // Referenced while a commit is owed, so the process waits for it; idle, it keeps nothing alive.
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(batch, [batch.data.buffer as ArrayBuffer]);
    });
  }

  /** Close once every posted batch is answered. */
  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would let the process exit before it reports its own exit.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
