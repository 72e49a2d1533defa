import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { damageWalFrame, middlePageOf, overwriteHeader, overwritePage, truncateToHalf } from '../../test/support/journal-damage.js';
import { useTempDirs } from '../../test/support/temp-dirs.js';
import type { Logger } from '../log/logger.js';
import { Journal, JournalUnavailableError } from './journal.js';
import { indexCells, PageFile, readRecord } from './page-scan.js';
import { migrate, SQL } from './sql.js';

const tempDir = useTempDirs('salvage-test-');

/** A logger that keeps what it was told. */
function recordingLog() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, msg, fields });
  const log: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
  return { log, lines };
}

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };
const open = (dir: string, log: Logger = quiet) => new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log });
/** Body `i`: its number and padding, so every row is recognisable and rows span several pages. */
const bodyOf = (i: number, size = 700) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(Math.max(0, size - 20)) }));
const numberOf = (body: Buffer) => (JSON.parse(body.toString()) as { i: number }).i;
const entry = (i: number, size?: number) => ({ source: 'webhook', codec: 'mist-envelope', receivedNs: BigInt(i), body: bodyOf(i, size) });

/** A closed journal in `dir` holding rows 0..n-1, the first `released` of them released. */
async function journalWith(dir: string, n: number, released = 0, size?: number): Promise<number[]> {
  const j = open(dir);
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) seqs.push(await j.append(entry(i, size)));
  if (released > 0) {
    const through = seqs[released - 1]!;
    j.release(through, { logs: through, spans: through, metrics: through });
  }
  await j.close();
  return seqs;
}

/** Every row of a (healthy) journal, by number, read through SQLite. */
function rowsOf(j: Journal): number[] {
  return j.read(0, 1_000_000).map((r) => numberOf(r.body));
}

function movedAside(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('journal.sqlite.damaged-') && !f.endsWith('-wal') && !f.endsWith('-shm'));
}

describe('reading journal pages without SQLite', () => {
  it('finds exactly the rows SQLite holds, bodies of every size, freed pages skipped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 60 }), fc.nat(), async (sizes, cut) => {
        const dir = tempDir();
        const released = cut % (sizes.length + 1);
        const j = open(dir);
        const seqs: number[] = [];
        for (const [i, size] of sizes.entries()) seqs.push(await j.append(entry(i, size)));
        if (released > 0) j.release(seqs[released - 1]!, { logs: 0, spans: 0, metrics: 0 });
        await j.close();

        const pages = new PageFile(join(dir, 'journal.sqlite'));
        const { deliveries } = indexCells(pages);
        const found = [...deliveries.entries()].sort(([a], [b]) => a - b).map(([seq, ref]) => [seq, readRecord(pages, ref)]);
        pages.close();
        const db = new Database(join(dir, 'journal.sqlite'), { readonly: true });
        const rows = db
          .prepare('SELECT seq, source, codec, received_ns, bytes, body FROM deliveries ORDER BY seq')
          .safeIntegers(true)
          .raw()
          .all() as unknown[][];
        db.close();
        expect(found).toEqual(rows.map(([seq, ...rest]) => [Number(seq), [null, ...rest]]));
      }),
      { numRuns: 15 },
    );
  });
});

describe('a damaged journal file', () => {
  it('with a garbage header: moved aside at start-up, every owed row salvaged from its pages, watermarks kept', async () => {
    const dir = tempDir();
    const seqs = await journalWith(dir, 40, 10);
    overwriteHeader(join(dir, 'journal.sqlite'));
    const { log, lines } = recordingLog();
    const j = open(dir, log);
    expect(rowsOf(j)).toEqual(Array.from({ length: 30 }, (_, i) => 10 + i));
    expect(j.read(0, 1)[0]!.seq).toBe(seqs[10]);
    expect(j.watermarks()).toEqual({ logs: seqs[9], spans: seqs[9], metrics: seqs[9] });
    const health = j.healthReport();
    expect(health).toMatchObject({ salvagedRows: 30, unreadableRows: 0 });
    expect(health.movedAside).toHaveLength(1);
    expect(movedAside(dir)).toEqual([health.movedAside[0]!.split('/').pop()]);
    expect(lines.find((l) => l.msg.startsWith('the journal file is damaged'))).toMatchObject({
      level: 'error',
      fields: { during: 'open', error: expect.stringMatching(/SQLITE_NOTADB/) },
    });
    expect(lines.find((l) => l.msg.startsWith('every row of the damaged journal file'))?.fields).toMatchObject({
      salvaged: 30,
      unreadable: 0,
      method: 'pages',
    });
    // New rows continue after the old seqs.
    expect(await j.append(entry(99))).toBeGreaterThan(seqs[39]!);
    await j.close();
  });

  it('cut to half its size: what its remaining pages hold is salvaged, the rest counted as unreadable', async () => {
    const dir = tempDir();
    await journalWith(dir, 60);
    truncateToHalf(join(dir, 'journal.sqlite'));
    const { log, lines } = recordingLog();
    const j = open(dir, log);
    const got = rowsOf(j);
    const { salvagedRows, unreadableRows } = j.healthReport();
    expect(got.length).toBe(salvagedRows);
    expect(salvagedRows).toBeGreaterThan(10);
    expect(salvagedRows + unreadableRows).toBe(60);
    expect(new Set(got).size).toBe(got.length);
    expect(got.every((n) => n >= 0 && n < 60)).toBe(true);
    expect(lines.find((l) => l.msg.startsWith('rows of the damaged journal file could not be read'))).toMatchObject({
      level: 'error',
      fields: { unreadable: unreadableRows },
    });
    await j.close();
  });

  it('with a garbage leaf page: found damaged at start-up, the rows of that page counted, the others salvaged in order', async () => {
    const dir = tempDir();
    await journalWith(dir, 60);
    overwritePage(join(dir, 'journal.sqlite'), middlePageOf(join(dir, 'journal.sqlite'), 'table-leaf'));
    const j = open(dir);
    const got = rowsOf(j);
    const { salvagedRows, unreadableRows, movedAside: aside } = j.healthReport();
    expect(aside).toHaveLength(1);
    expect(unreadableRows).toBeGreaterThan(0);
    expect(got).toHaveLength(60 - unreadableRows);
    expect(salvagedRows).toBe(got.length);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    await j.close();
  });

  it('with a garbage overflow page: found when the row is read, replaced while running, the row counted, the rest readable', async () => {
    const dir = tempDir();
    // Bodies over two overflow pages each: the damaged page breaks a chain.
    const seqs = await journalWith(dir, 30, 0, 10_000);
    overwritePage(join(dir, 'journal.sqlite'), middlePageOf(join(dir, 'journal.sqlite'), 'linked-overflow'));
    const { log, lines } = recordingLog();
    const j = open(dir, log);
    // Nothing at start-up reads the bodies.
    expect(j.healthReport().movedAside).toHaveLength(0);
    expect(() => j.read(0, 100)).toThrow(JournalUnavailableError);
    expect(j.unavailable()?.reason).toMatch(/being replaced/);
    expect(() => j.append(entry(100))).toThrow(JournalUnavailableError);
    await j.whenAvailable();
    const got = rowsOf(j);
    expect(got).toHaveLength(29);
    expect(j.healthReport()).toMatchObject({ salvagedRows: 29, unreadableRows: 1 });
    expect(lines.find((l) => l.msg.startsWith('the journal file is damaged'))?.fields).toMatchObject({ during: 'read' });
    expect(j.unavailable()).toBeUndefined();
    expect(await j.append(entry(100))).toBe(seqs[29]! + 1);
    await j.close();
    // The replacement is a healthy journal.
    const again = open(dir);
    expect(rowsOf(again)).toEqual([...got, 100]);
    await again.close();
  });
});

describe('a damaged write-ahead log', () => {
  it('loses no commit: the rows of the commits SQLite discards are read from the log and put back, a copy of it kept', async () => {
    const dir = tempDir();
    const file = join(dir, 'journal.sqlite');
    // The files a SIGKILL leaves: 40 group commits in the WAL, none checkpointed.
    const live = join(tempDir(), 'live.sqlite');
    const db = new Database(live);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    migrate(db);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const insert = db.prepare(SQL.insert);
    for (let i = 0; i < 40; i++) insert.run('webhook', 'mist-envelope', BigInt(i), bodyOf(i).byteLength + 64, bodyOf(i));
    copyFileSync(live, file);
    copyFileSync(`${live}-wal`, `${file}-wal`);
    db.close();
    const { frame, frames } = damageWalFrame(file);
    expect(frame).toBeGreaterThan(1);

    const { log, lines } = recordingLog();
    const j = open(dir, log);
    expect(rowsOf(j)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(j.healthReport()).toMatchObject({ unreadableRows: 0 });
    expect(j.healthReport().salvagedRows).toBeGreaterThan(0);
    const said = lines.find((l) => l.msg.startsWith('the journal write-ahead log was damaged'));
    expect(said?.fields).toMatchObject({ first_bad_frame: frame, unreadable: 0 });
    expect(said?.fields.discarded_commits).toBeGreaterThan(0);
    expect(said?.fields.discarded_commits).toBeLessThanOrEqual(frames);
    expect(existsSync(said?.fields.wal_copy as string)).toBe(true);
    expect(j.healthReport().movedAside).toEqual([said?.fields.wal_copy]);
    expect(await j.append(entry(40))).toBe(41);
    await j.close();
  });

  it('that a crash merely cut short is no damage', async () => {
    const dir = tempDir();
    const file = join(dir, 'journal.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    migrate(db);
    const insert = db.prepare(SQL.insert);
    for (let i = 0; i < 5; i++) insert.run('webhook', 'mist-envelope', BigInt(i), bodyOf(i).byteLength + 64, bodyOf(i));
    const crashed = join(tempDir(), 'journal.sqlite');
    copyFileSync(file, crashed);
    // The last frame half written.
    const wal = readFileSync(`${file}-wal`);
    writeFileSync(`${crashed}-wal`, wal.subarray(0, wal.length - 2000));
    db.close();
    const { log, lines } = recordingLog();
    const j = open(join(crashed, '..'), log);
    expect(rowsOf(j)).toEqual([0, 1, 2, 3]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    await j.close();
  });
});

describe('journal salvage', () => {
  it("copies another file's owed rows after the journal's own, in order, leaving what was exported", async () => {
    const other = tempDir();
    await journalWith(other, 12, 4);
    const dir = tempDir();
    const j = open(dir);
    const own = await j.append(entry(1000));
    const report = j.salvageFrom(join(other, 'journal.sqlite'));
    expect(report).toMatchObject({ salvaged: 8, unreadable: 0, alreadyExported: 0, method: 'sqlite' });
    const rows = j.read(0, 100);
    expect(rows.map((r) => numberOf(r.body))).toEqual([1000, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 9 }, (_, i) => own + i));
    expect(j.count).toBe(9);
    await j.close();
  });

  it('reads a journal written before source/codec (its rows are webhook rows in the Mist envelope)', () => {
    const file = join(tempDir(), 'old.sqlite');
    writeOldJournal(file, 5, 2);
    const j = open(tempDir());
    expect(j.salvageFrom(file)).toMatchObject({ salvaged: 3, unreadable: 0 });
    expect(j.read(0, 10).map((r) => [r.source, r.codec, numberOf(r.body), r.receivedNs])).toEqual([
      ['webhook', 'mist-envelope', 2, 2n],
      ['webhook', 'mist-envelope', 3, 3n],
      ['webhook', 'mist-envelope', 4, 4n],
    ]);
    return j.close();
  });
});

describe('a journal written before source/codec', () => {
  it('is migrated in place: rows keep their seqs and become webhook rows, the sequence and watermarks carry on', async () => {
    const dir = tempDir();
    writeOldJournal(join(dir, 'journal.sqlite'), 6, 2);
    const j = open(dir);
    expect(j.read(0, 10).map((r) => [r.seq, r.source, r.codec, numberOf(r.body)])).toEqual(
      [3, 4, 5, 6].map((seq) => [seq, 'webhook', 'mist-envelope', seq - 1]),
    );
    expect(j.watermarks()).toEqual({ logs: 2, spans: 2, metrics: 2 });
    expect(await j.append(entry(50))).toBe(7);
    await j.close();
    const db = new Database(join(dir, 'journal.sqlite'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect((db.pragma('table_info(deliveries)') as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'seq',
      'source',
      'codec',
      'received_ns',
      'bytes',
      'body',
    ]);
    db.close();
  });
});

describe("SQLite's write-ahead log after damage (what the README promises rests on this)", () => {
  it('keeps the transactions before a damaged frame and silently drops every one after it', () => {
    const dir = tempDir();
    const file = join(dir, 'live.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (n INTEGER)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (let n = 1; n <= 10; n++) db.prepare('INSERT INTO t VALUES (?)').run(n);
    // The files as a crash would leave them: the ten commits only in the WAL.
    const copy = join(dir, 'crashed.sqlite');
    copyFileSync(file, copy);
    copyFileSync(`${file}-wal`, `${copy}-wal`);
    db.close();
    expect(existsSync(`${copy}-shm`)).toBe(false);
    // One frame (one page image) per commit here: damage the page of the fifth.
    const wal = readFileSync(`${copy}-wal`);
    const pageSize = wal.readUInt32BE(8);
    const fifth = 32 + 4 * (24 + pageSize) + 24 + 200;
    wal[fifth] = wal[fifth]! ^ 0xff;
    writeFileSync(`${copy}-wal`, wal);
    const reopened = new Database(copy);
    expect(reopened.prepare('SELECT n FROM t ORDER BY n').pluck().all()).toEqual([1, 2, 3, 4]);
    expect(reopened.pragma('quick_check', { simple: true })).toBe('ok');
    reopened.close();
  });
});

/** A journal file in the layout of bridges before `source`/`codec`: rows 0..n-1, the first `released` released. */
function writeOldJournal(file: string, n: number, released: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, received_ns INTEGER NOT NULL, bytes INTEGER NOT NULL, body BLOB NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  `);
  for (let i = 0; i < n; i++) {
    const body = bodyOf(i);
    db.prepare('INSERT INTO deliveries (topic, received_ns, bytes, body) VALUES (?, ?, ?, ?)').run('alarms', i, body.byteLength + 64, body);
  }
  db.prepare('DELETE FROM deliveries WHERE seq <= ?').run(released);
  for (const key of ['logs', 'spans', 'metrics']) db.prepare('INSERT INTO meta VALUES (?, ?)').run(key, released);
  db.close();
}
