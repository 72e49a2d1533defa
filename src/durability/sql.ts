import Database from 'better-sqlite3';

/**
 * The journal's schema and every statement run on it, shared by the main connection
 * (journal.ts) and the worker threads (writer-thread.ts, checkpointer-thread.ts).
 */

export type Synchronous = 'normal' | 'full';

/** Per signal: every journal row with seq ≤ this value has had that signal exported. */
export interface Watermarks {
  logs: number;
  spans: number;
  metrics: number;
}

export const SIGNALS = ['logs', 'spans', 'metrics'] as const;

/** Counted per row besides the body (the `bytes` column holds both): seq, source, codec, receipt time and SQLite's own overhead. */
export const ROW_OVERHEAD_BYTES = 64;

/** `PRAGMA user_version` of the current layout. 0: before `source`/`codec` (a `topic` column). */
export const SCHEMA_VERSION = 1;

// source and codec come before the body: SQLite reads a row's columns in order, and a large body
// spills to overflow pages that a read of the columns before it does not touch.
const CREATE_DELIVERIES = (name: string): string => `
  CREATE TABLE ${name} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    codec TEXT NOT NULL,
    received_ns INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    body BLOB NOT NULL
  )`;
const CREATE_META = 'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)';

export const SQL = {
  insert: 'INSERT INTO deliveries (source, codec, received_ns, bytes, body) VALUES (?, ?, ?, ?, ?)',
  insertAt: 'INSERT INTO deliveries (seq, source, codec, received_ns, bytes, body) VALUES (?, ?, ?, ?, ?, ?)',
  readAfter: 'SELECT seq, source, codec, received_ns AS receivedNs, body FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?',
  sizeThrough: 'SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM deliveries WHERE seq <= ?',
  deleteThrough: 'DELETE FROM deliveries WHERE seq <= ?',
  sliceEnd: 'SELECT seq FROM deliveries WHERE seq <= ? ORDER BY seq LIMIT 1 OFFSET ?',
  /** The highest seq ever handed out (AUTOINCREMENT keeps it after the rows are deleted). */
  sequence: "SELECT seq FROM sqlite_sequence WHERE name = 'deliveries'",
  raiseSequence: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'deliveries'",
  startSequence: "INSERT INTO sqlite_sequence (name, seq) VALUES ('deliveries', ?)",
  setMeta: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  readMeta: 'SELECT key, value FROM meta',
  checkpoint: 'wal_checkpoint(PASSIVE)',
} as const;

/** Opens a connection to an existing journal file with the settings every connection shares. */
export function connect(file: string, synchronous: Synchronous, busyTimeoutMs: number): Database.Database {
  const db = new Database(file, { timeout: busyTimeoutMs });
  try {
    db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
    // Checkpoints run in the checkpointer thread, never inside a commit (see Checkpointer).
    db.pragma('wal_autocheckpoint = 0');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Creates the tables, or brings a journal written by an older bridge to the current layout
 * (its rows keep their seqs and become webhook rows in the Mist envelope codec).
 */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) {
    throw new Error(`the journal was written by a newer bridge (layout ${version}, this one reads up to ${SCHEMA_VERSION})`);
  }
  const columns = (db.pragma('table_info(deliveries)') as Array<{ name: string }>).map((c) => c.name);
  db.transaction(() => {
    if (columns.length === 0) {
      db.exec(CREATE_DELIVERIES('deliveries'));
    } else if (columns.includes('topic')) {
      const highest = db.prepare(SQL.sequence).pluck().get() as number | undefined;
      db.exec(`
        ${CREATE_DELIVERIES('deliveries_v1')};
        INSERT INTO deliveries_v1 (seq, source, codec, received_ns, bytes, body)
          SELECT seq, 'webhook', 'mist-envelope', received_ns, bytes, body FROM deliveries ORDER BY seq;
        DROP TABLE deliveries;
        ALTER TABLE deliveries_v1 RENAME TO deliveries;
      `);
      // An emptied journal must not hand out its released seqs again.
      if (highest !== undefined) raiseSequence(db, highest);
    }
    db.exec(CREATE_META);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Makes the next seq handed out greater than `seq`. */
export function raiseSequence(db: Database.Database, seq: number): void {
  if (db.prepare(SQL.raiseSequence).run(seq).changes === 0) db.prepare(SQL.startSequence).run(seq);
}
