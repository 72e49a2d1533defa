// `node bench/sqlite-drivers.mjs [rows-per-commit]`: the journal's SQL workload under both SQLite
// drivers a Node 22/24 bridge could use, better-sqlite3 and the built-in node:sqlite, with the
// journal's schema and pragmas (WAL, synchronous=NORMAL, no automatic checkpoint): group commits
// of 650-byte bodies in IMMEDIATE transactions, the catch-up's ordered reads of 64 rows, and the
// release's range deletes. Prints CPU µs per row for each step and driver, best of 3 runs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import Database from 'better-sqlite3';

const PER_COMMIT = Number(process.argv[2] ?? 16);
const ROWS = 96_000;
const body = Buffer.alloc(650, 97);
// The layout and statements of src/durability/sql.ts (copied: this runs without a build).
const SCHEMA = `CREATE TABLE IF NOT EXISTS deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, codec TEXT NOT NULL, received_ns INTEGER NOT NULL, bytes INTEGER NOT NULL, body BLOB NOT NULL)`;
const INSERT = 'INSERT INTO deliveries (source, codec, received_ns, bytes, body) VALUES (?, ?, ?, ?, ?)';
const READ = 'SELECT seq, source, codec, received_ns AS receivedNs, body FROM deliveries WHERE seq > ? ORDER BY seq LIMIT 64';

const drivers = {
  'better-sqlite3': (file) => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec(SCHEMA);
    const insert = db.prepare(INSERT);
    const read = db.prepare(READ).safeIntegers(true);
    const del = db.prepare('DELETE FROM deliveries WHERE seq <= ?');
    const group = db.transaction((n) => {
      for (let i = 0; i < n; i++) insert.run('webhook', 'mist-envelope', 1_700_000_000_000_000_000n, body.length, body);
    });
    return { commit: (n) => group.immediate(n), read: (after) => read.all(after), del: (through) => del.run(through), close: () => db.close() };
  },
  'node:sqlite': (file) => {
    const db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;');
    db.exec(SCHEMA);
    const insert = db.prepare(INSERT);
    const read = db.prepare(READ);
    read.setReadBigInts(true);
    const del = db.prepare('DELETE FROM deliveries WHERE seq <= ?');
    return {
      commit: (n) => {
        db.exec('BEGIN IMMEDIATE');
        try {
          for (let i = 0; i < n; i++) insert.run('webhook', 'mist-envelope', 1_700_000_000_000_000_000n, body.length, body);
          db.exec('COMMIT');
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      },
      read: (after) => read.all(after),
      del: (through) => del.run(through),
      close: () => db.close(),
    };
  },
};

function cpuUs(fn) {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return d.user + d.system;
}

function run(name) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sqlite-'));
  const db = drivers[name](join(dir, 'journal.sqlite'));
  const commit = cpuUs(() => {
    for (let i = 0; i < ROWS / PER_COMMIT; i++) db.commit(PER_COMMIT);
  });
  const read = cpuUs(() => {
    for (let after = 0; after < ROWS; after += 64) db.read(after);
  });
  const del = cpuUs(() => {
    for (let through = 4096; through <= ROWS; through += 4096) db.del(through);
  });
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { commit: commit / ROWS, read: read / ROWS, del: del / ROWS };
}

console.log(`Node ${process.version}, ${ROWS} rows of ${body.length} bytes, ${PER_COMMIT} rows per commit; CPU µs per row, best of 3`);
for (const name of Object.keys(drivers)) {
  const runs = [run(name), run(name), run(name)];
  const best = (k) => Math.min(...runs.map((r) => r[k])).toFixed(2);
  console.log(`${name.padEnd(15)} commit ${best('commit')}  read ${best('read')}  delete ${best('del')}`);
}
