import type { Worker } from 'node:worker_threads';
import type { CheckpointerData, CheckpointerReport } from './checkpointer-thread.js';
import { startThread } from './threads.js';

export interface CheckpointerEvents {
  /** A checkpoint failed (`code`: SQLite's), or succeeded again after failures (`undefined`). */
  result(failure: { message: string; code: string | undefined } | undefined): void;
  /** The thread stopped on its own; it is started again after `restartInMs`. */
  stopped(reason: string, restartInMs: number): void;
}

const FIRST_RESTART_MS = 1000;
const MAX_RESTART_MS = 30_000;
// A thread that ran this long before it stopped is restarted after the first delay again.
const STABLE_AFTER_MS = 60_000;

/**
 * Copies the write-ahead log into the database file from a worker thread (checkpointer-thread.ts).
 * SQLite's automatic checkpoint runs inside a commit and fsyncs, which held the event loop for up
 * to ~60 ms per few MiB written; on its own connection in a worker, a PASSIVE checkpoint runs
 * beside the writers and the request path only ever appends to the WAL. Without checkpoints the
 * WAL grows without bound, so a thread that stops is started again, later each time it keeps
 * stopping.
 */
export class Checkpointer {
  private worker: Worker;
  private startedAt = Date.now();
  private restartDelayMs = FIRST_RESTART_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    private readonly data: CheckpointerData,
    private readonly events: CheckpointerEvents,
  ) {
    this.worker = this.start();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    if (this.restartTimer !== undefined) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced, the worker would let the process exit before it reports its own exit.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }

  private start(): Worker {
    this.startedAt = Date.now();
    const worker = startThread('checkpointer-thread', this.data satisfies CheckpointerData);
    worker.on('message', (m: CheckpointerReport) => this.events.result('ok' in m ? undefined : { message: m.error, code: m.code }));
    let stopped = false;
    const onStop = (reason: string): void => {
      if (stopped || this.closing) return;
      stopped = true;
      if (Date.now() - this.startedAt >= STABLE_AFTER_MS) this.restartDelayMs = FIRST_RESTART_MS;
      const delay = this.restartDelayMs;
      this.restartDelayMs = Math.min(MAX_RESTART_MS, delay * 2);
      this.events.stopped(reason, delay);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (!this.closing) this.worker = this.start();
      }, delay);
      this.restartTimer.unref();
    };
    worker.on('error', (err) => onStop(`the thread failed: ${err.message}`));
    worker.on('exit', (code) => onStop(`the thread exited (code ${code})`));
    worker.unref();
    return worker;
  }
}
