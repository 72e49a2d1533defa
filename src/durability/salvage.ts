import Database from 'better-sqlite3';
import { type CellIndex, type CellRef, indexCells, inspectWal, PageFile, readRecord, type WalDamage } from './page-scan.js';
import { ROW_OVERHEAD_BYTES, raiseSequence, SIGNALS, SQL, type Watermarks } from './sql.js';
import { describeFault } from './sqlite-fault.js';

/** A journal row read back from a damaged file. */
export interface SalvagedRow {
  seq: number;
  source: string;
  codec: string;
  receivedNs: bigint;
  body: Buffer;
}

export interface SalvageReport {
  /** Rows copied. */
  salvaged: number;
  /** Rows the file held for export that could not be read (damaged, or their pages are gone). */
  unreadable: number;
  /** Rows left behind because the file's watermarks say all their telemetry was exported. */
  alreadyExported: number;
  /** The export progress the file had recorded (zeros when it could not be read). */
  marks: Watermarks;
  /** The highest seq the file had handed out, as far as it can be told. */
  highestSeq: number;
  /** How rows were read: through SQLite, and from the raw pages where SQLite could not reach them. */
  method: 'sqlite' | 'sqlite+pages' | 'pages';
  /** The first few reasons rows could not be read, for the log. */
  problems: string[];
}

const LIST_ROWS = 512;
const PROBE_STRETCH = 64;
// With no record of the highest seq, probing past damage stops after this many seqs found nowhere.
const MAX_BLIND_PROBES = 65_536;
const MAX_PROBLEMS = 5;

/** The rows SQLite itself can still reach in `file`, and what it could tell about the file. */
interface SqliteView {
  db: Database.Database;
  seqs: number[];
  /** Whether anything failed (then the raw pages are read as well). */
  trouble: boolean;
  marks: Watermarks | undefined;
  highestSeq: number | undefined;
  read: Database.Statement;
}

/**
 * Reads every row of a journal file that can still be read, oldest first: through SQLite where
 * it can reach them, else straight from the file's pages (page-scan.ts). Rows whose telemetry the
 * file records as exported are left out. Returns what it found and what it could not read.
 */
export function* readSalvageable(file: string): Generator<SalvagedRow, SalvageReport> {
  const problems: string[] = [];
  const problem = (what: string): void => void (problems.length < MAX_PROBLEMS && problems.push(what));
  const view = viewThroughSqlite(file, problem);
  let cells: CellIndex | undefined;
  let pages: PageFile | undefined;
  if (!view || view.trouble) {
    try {
      pages = new PageFile(file);
      cells = indexCells(pages);
    } catch (err) {
      problem(`the file's pages could not be read: ${(err as Error).message}`);
    }
  }
  try {
    const marks = view?.marks ?? marksFrom(cells?.pairs ?? []);
    const floor = Math.min(marks.logs, marks.spans, marks.metrics);
    let highestSeq = view?.highestSeq ?? 0;
    for (const [name, value] of cells?.pairs ?? []) if (name === 'deliveries') highestSeq = Math.max(highestSeq, value);

    const fromSqlite = new Set(view?.seqs ?? []);
    const all = [...new Set([...fromSqlite, ...(cells?.deliveries.keys() ?? [])])].sort((a, b) => a - b);
    let salvaged = 0;
    let unreadable = 0;
    let alreadyExported = 0;
    for (const seq of all) {
      highestSeq = Math.max(highestSeq, seq);
      if (seq <= floor) {
        alreadyExported += 1;
        continue;
      }
      const row =
        (fromSqlite.has(seq) && view ? readViaSqlite(view, seq, problem) : undefined) ?? readViaPages(pages, cells?.deliveries.get(seq), seq, problem);
      if (row) {
        salvaged += 1;
        yield row;
      } else {
        unreadable += 1;
      }
    }
    // Seqs after the exported ones and up to the highest handed out, found nowhere: rows whose
    // pages are gone (journal rows are only ever deleted from the oldest up to the watermarks).
    const found = all.filter((s) => s > floor).length;
    const missing = Math.max(0, highestSeq - floor - found);
    if (missing > 0) problem(`${missing} rows between seq ${floor + 1} and ${highestSeq} were found neither through SQLite nor in the pages`);
    unreadable += missing;
    const method = !view ? 'pages' : cells ? 'sqlite+pages' : 'sqlite';
    return { salvaged, unreadable, alreadyExported, marks, highestSeq, method, problems };
  } finally {
    view?.db.close();
    pages?.close();
  }
}

function viewThroughSqlite(file: string, problem: (what: string) => void): SqliteView | undefined {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    problem(`SQLite cannot open it: ${describeFault(err)}`);
    return undefined;
  }
  let read: Database.Statement;
  try {
    const columns = (db.pragma('table_info(deliveries)') as Array<{ name: string }>).map((c) => c.name);
    if (columns.length === 0) throw new Error('it has no deliveries table');
    // A journal from before source/codec holds webhook deliveries in the Mist envelope.
    const tags = columns.includes('source') ? 'source, codec' : "'webhook' AS source, 'mist-envelope' AS codec";
    read = db.prepare(`SELECT ${tags}, received_ns AS receivedNs, bytes, body FROM deliveries WHERE seq = ?`).safeIntegers(true);
  } catch (err) {
    problem(`SQLite cannot read its schema: ${describeFault(err)}`);
    db.close();
    return undefined;
  }
  let trouble = false;
  const attempt = <T>(what: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      trouble = true;
      problem(`${what}: ${describeFault(err)}`);
      return undefined;
    }
  };
  const meta = attempt('reading the watermarks', () => db.prepare(SQL.readMeta).all() as Array<{ key: string; value: number }>);
  const marks = meta ? marksFrom(meta.map((r) => [r.key, r.value])) : undefined;
  const highestSeq = attempt('reading the highest seq', () => (db.prepare(SQL.sequence).pluck().get() as number | undefined) ?? 0);
  const floor = marks ? Math.min(marks.logs, marks.spans, marks.metrics) : 0;
  const lowest = attempt('reading the lowest seq', () => db.prepare('SELECT min(seq) FROM deliveries').pluck().get() as number | null);

  // Listed in order; where a listing fails (a damaged page on its way), seqs are looked up one
  // by one past the damage, then listing resumes.
  const list = db.prepare('SELECT seq FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?').pluck();
  const point = db.prepare('SELECT seq FROM deliveries WHERE seq = ?').pluck();
  const seqs: number[] = [];
  let cursor = Math.max(0, (lowest ?? floor + 1) - 1);
  let blind = 0;
  for (;;) {
    let listed = 0;
    try {
      for (const seq of list.iterate(cursor, LIST_ROWS) as IterableIterator<number>) {
        seqs.push(seq);
        cursor = seq;
        listed += 1;
      }
      if (listed < LIST_ROWS) break;
      continue;
    } catch (err) {
      if (!trouble) problem(`listing rows after seq ${cursor}: ${describeFault(err)}`);
      trouble = true;
    }
    const end = cursor + PROBE_STRETCH;
    for (let seq = cursor + 1; seq <= end; seq++) {
      try {
        if (point.get(seq) !== undefined) {
          seqs.push(seq);
          blind = 0;
        } else blind += 1;
      } catch {
        blind += 1;
      }
    }
    cursor = end;
    if (highestSeq !== undefined && highestSeq > 0 ? cursor >= highestSeq : blind >= MAX_BLIND_PROBES) break;
  }
  return { db, seqs, trouble, marks, highestSeq: highestSeq || undefined, read };
}

function readViaSqlite(view: SqliteView, seq: number, problem: (what: string) => void): SalvagedRow | undefined {
  try {
    const r = view.read.get(seq) as { source: string; codec: string; receivedNs: bigint; bytes: bigint; body: Buffer } | undefined;
    if (!r) return undefined;
    if (!Buffer.isBuffer(r.body) || Number(r.bytes) !== r.body.byteLength + ROW_OVERHEAD_BYTES) {
      problem(`row ${seq}: its body is not the length recorded with it`);
      return undefined;
    }
    return { seq, source: r.source, codec: r.codec, receivedNs: r.receivedNs, body: r.body };
  } catch (err) {
    problem(`row ${seq}: ${describeFault(err)}`);
    return undefined;
  }
}

function readViaPages(pages: PageFile | undefined, ref: CellRef | undefined, seq: number, problem: (what: string) => void): SalvagedRow | undefined {
  if (!pages || !ref) return undefined;
  try {
    const values = readRecord(pages, ref);
    // [seq (NULL), source, codec, receivedNs, bytes, body] or, before source/codec, [seq, topic, receivedNs, bytes, body].
    const [source, codec, receivedNs, bytes, body] = values.length === 6 ? values.slice(1) : ['webhook', 'mist-envelope', ...values.slice(2)];
    if (!Buffer.isBuffer(body) || typeof bytes !== 'bigint' || Number(bytes) !== body.byteLength + ROW_OVERHEAD_BYTES) {
      problem(`row ${seq}: its body is not the length recorded with it`);
      return undefined;
    }
    return { seq, source: source as string, codec: codec as string, receivedNs: receivedNs as bigint, body };
  } catch (err) {
    problem(`row ${seq}: ${(err as Error).message}`);
    return undefined;
  }
}

/** The highest watermarks among the records found (a stale copy of the meta page holds older ones). */
function marksFrom(pairs: Iterable<[string, number]>): Watermarks {
  const marks: Watermarks = { logs: 0, spans: 0, metrics: 0 };
  for (const [key, value] of pairs) {
    if ((SIGNALS as readonly string[]).includes(key)) marks[key as keyof Watermarks] = Math.max(marks[key as keyof Watermarks], value);
  }
  return marks;
}

const COPY_BATCH_ROWS = 256;

/**
 * Copies what `readSalvageable` finds in `file` into the journal database `target`, a batch of
 * rows per transaction, yielding after each batch (so a caller on the event loop can let others
 * run). `keepSeqs`: the rows keep their seqs and the file's watermarks are carried over (the file
 * was this journal a moment ago); otherwise they are appended after the journal's own rows and
 * owe all their telemetry.
 */
export function* copySalvageable(target: Database.Database, file: string, keepSeqs: boolean): Generator<void, SalvageReport> {
  const rows = readSalvageable(file);
  const insertAt = target.prepare(SQL.insertAt);
  const insert = target.prepare(SQL.insert);
  const write = target.transaction((batch: SalvagedRow[]) => {
    for (const r of batch) {
      const size = r.body.byteLength + ROW_OVERHEAD_BYTES;
      if (keepSeqs) insertAt.run(r.seq, r.source, r.codec, r.receivedNs, size, r.body);
      else insert.run(r.source, r.codec, r.receivedNs, size, r.body);
    }
  });
  let batch: SalvagedRow[] = [];
  let next = rows.next();
  try {
    while (!next.done) {
      batch.push(next.value);
      if (batch.length >= COPY_BATCH_ROWS) {
        write.immediate(batch);
        batch = [];
        yield;
      }
      next = rows.next();
    }
    if (batch.length > 0) write.immediate(batch);
  } finally {
    // Closes the file when a write failed half-way (a no-op once the rows are all read).
    rows.return(undefined as never);
  }
  const report = next.value;
  if (keepSeqs) {
    target
      .transaction(() => {
        const setMeta = target.prepare(SQL.setMeta);
        for (const key of SIGNALS) setMeta.run(key, report.marks[key]);
        raiseSequence(target, report.highestSeq);
      })
      .immediate();
  }
  return report;
}

/** Rows of commits a damaged WAL would lose, read before SQLite opens (and resets) the log. */
export interface PastWalDamage {
  damage: WalDamage;
  /** Every delivery row on the pages the whole log (to its last commit) changed. */
  rows: SalvagedRow[];
  /** The highest seq handed out, by the whole log. */
  highestSeq: number;
  problems: string[];
}

/**
 * When the WAL beside `file` is damaged (inspectWal), reads the rows on every page its commits
 * changed, past the damage too (PageFile's `pastDamage`). Held in memory (a WAL is checkpointed
 * every second, so it holds little) until SQLite has opened the journal: then
 * `restorePastWalDamage` puts back those SQLite's recovery left out.
 */
export function readPastWalDamage(file: string): PastWalDamage | undefined {
  const damage = inspectWal(file);
  if (!damage) return undefined;
  const pages = new PageFile(file, true);
  const problems: string[] = [];
  const problem = (what: string): void => void (problems.length < MAX_PROBLEMS && problems.push(what));
  try {
    const { deliveries, pairs } = indexCells(pages, true);
    const rows: SalvagedRow[] = [];
    let highestSeq = 0;
    for (const [name, value] of pairs) if (name === 'deliveries') highestSeq = Math.max(highestSeq, value);
    for (const [seq, ref] of [...deliveries].sort(([a], [b]) => a - b)) {
      const row = readViaPages(pages, ref, seq, problem);
      if (row) rows.push(row);
    }
    return { damage, rows, highestSeq, problems };
  } finally {
    pages.close();
  }
}

/**
 * Puts the rows SQLite's recovery left out back into the journal it recovered, under their seqs
 * (rows it holds, and rows at or below its watermarks, are left alone). Returns how many were put
 * back, and how many owed rows up to the log's highest seq are still missing.
 */
export function restorePastWalDamage(target: Database.Database, found: PastWalDamage): { restored: number; unreadable: number } {
  const marks = marksFrom((target.prepare(SQL.readMeta).all() as Array<{ key: string; value: number }>).map((r) => [r.key, r.value]));
  const floor = Math.min(marks.logs, marks.spans, marks.metrics);
  const held = target.prepare('SELECT 1 FROM deliveries WHERE seq = ?').pluck();
  const insertAt = target.prepare(SQL.insertAt);
  const count = target.prepare('SELECT count(*) FROM deliveries WHERE seq > ? AND seq <= ?').pluck();
  return target
    .transaction(() => {
      let restored = 0;
      let highest = found.highestSeq;
      for (const r of found.rows) {
        if (r.seq <= floor || held.get(r.seq) !== undefined) continue;
        insertAt.run(r.seq, r.source, r.codec, r.receivedNs, r.body.byteLength + ROW_OVERHEAD_BYTES, r.body);
        restored += 1;
        highest = Math.max(highest, r.seq);
      }
      raiseSequence(target, highest);
      // Rows are only ever deleted up to the watermarks: every seq above them up to the highest
      // handed out was a row, and one the journal does not hold now is lost.
      const unreadable = Math.max(0, highest - floor - (count.get(floor, highest) as number));
      return { restored, unreadable };
    })
    .immediate();
}
