import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { connect, SQL, type Synchronous } from './sql.js';
import { sqliteCode } from './sqlite-fault.js';

/** The writer thread's side of CommitWorker (writer.ts). */

export interface WriterData {
  file: string;
  synchronous: Synchronous;
}

/** One group commit: the rows' bodies packed end to end in `data`, `ends[i]` where row i stops. */
export interface CommitBatch {
  sources: string[];
  codecs: string[];
  receivedNs: bigint[];
  sizes: number[];
  ends: number[];
  data: Uint8Array;
}

export type WriterRequest = CommitBatch | 'close';
export type WriterReply = { seqs: number[] } | { error: string; code: string | undefined };

const { file, synchronous } = workerData as WriterData;
const port = parentPort!;

let db: Database.Database | undefined;
let write: Database.Transaction<(batch: CommitBatch) => number[]> | undefined;

// Opened at the first batch rather than at start: an open that fails (a full disk) is then
// answered like any failed commit, with SQLite's code, and tried again with the next batch.
function writer(): Database.Transaction<(batch: CommitBatch) => number[]> {
  if (write) return write;
  const conn = connect(file, synchronous, 5000);
  let insert: Database.Statement;
  try {
    insert = conn.prepare(SQL.insert);
  } catch (err) {
    conn.close();
    throw err;
  }
  db = conn;
  write = conn.transaction((b: CommitBatch) => {
    const seqs = new Array<number>(b.sources.length);
    const data = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
    let start = 0;
    for (let i = 0; i < seqs.length; i++) {
      seqs[i] = Number(insert.run(b.sources[i], b.codecs[i], b.receivedNs[i], b.sizes[i], data.subarray(start, b.ends[i])).lastInsertRowid);
      start = b.ends[i]!;
    }
    return seqs;
  });
  return write;
}

port.on('message', (m: WriterRequest) => {
  if (m === 'close') {
    db?.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    // IMMEDIATE: takes the write lock up front, so a release on the main connection waits for it
    // instead of failing a deferred upgrade.
    reply = { seqs: writer().immediate(m) };
  } catch (err) {
    reply = { error: err instanceof Error ? err.message : String(err), code: sqliteCode(err) };
  }
  port.postMessage(reply);
});
