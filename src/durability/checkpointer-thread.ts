import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { connect, SQL, type Synchronous } from './sql.js';
import { sqliteCode } from './sqlite-fault.js';

/** The checkpointer thread's side of Checkpointer (checkpointer.ts). */

export interface CheckpointerData {
  file: string;
  synchronous: Synchronous;
  intervalMs: number;
}

/** Sent when a checkpoint fails, and once when one succeeds again. */
export type CheckpointerReport = { ok: true } | { error: string; code: string | undefined };

const { file, synchronous, intervalMs } = workerData as CheckpointerData;
const port = parentPort!;

let db: Database.Database | undefined;
let failing = false;

function checkpoint(): void {
  try {
    db ??= connect(file, synchronous, 5000);
    db.pragma(SQL.checkpoint);
    if (failing) port.postMessage({ ok: true } satisfies CheckpointerReport);
    failing = false;
  } catch (err) {
    failing = true;
    port.postMessage({ error: err instanceof Error ? err.message : String(err), code: sqliteCode(err) } satisfies CheckpointerReport);
  }
}

const timer = setInterval(checkpoint, intervalMs);
port.on('message', () => {
  clearInterval(timer);
  db?.close();
  port.close();
});
