import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Plain CommonJS evaluated in the worker, so it runs the same under tsx, vitest and the build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 5000 });
db.pragma('synchronous = ' + workerData.synchronous);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Copies the write-ahead log into the database file from a worker thread. SQLite's automatic
 * checkpoint runs inside a commit and fsyncs, which held the event loop for up to ~60 ms per
 * few MiB written; on its own connection in a worker, a PASSIVE checkpoint runs beside the
 * writers and the request path only ever appends to the WAL.
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, synchronous: 'normal' | 'full', intervalMs: number, onError: (message: string) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file, synchronous: synchronous.toUpperCase(), intervalMs },
      // The parent's --import (tsx) is not needed in the worker and would only slow its start.
      execArgv: [],
    });
    this.worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
    this.worker.on('error', (err) => onError(err.message));
    this.worker.unref();
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would let the process exit before it reports its own exit.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }
}
