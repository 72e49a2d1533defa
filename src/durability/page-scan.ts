import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads journal rows straight from the pages of an SQLite file, for when SQLite itself cannot
 * reach them: a garbage header ("file is not a database"), a damaged interior page that hides
 * the leaves below it, a file cut short. It follows SQLite's documented file format
 * (sqlite.org/fileformat2.html): table-leaf pages, cell payloads with their overflow chains, the
 * record format, and the write-ahead log's frames (only frames of committed transactions whose
 * salts and running checksum are valid, as SQLite's own recovery reads them).
 */

const HEADER_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const TABLE_LEAF = 0x0d;
const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;
const PAGE_SIZES = [4096, 1024, 2048, 8192, 16384, 32768, 65536, 512];

export type RecordValue = null | bigint | number | string | Buffer;

/** Where a cell is: page and index in the page's cell pointer array. */
export interface CellRef {
  page: number;
  cell: number;
}

/** A file's pages as SQLite would read them: the latest committed WAL frame of a page, else the file's. */
export class PageFile {
  readonly pageSize: number;
  /** Usable bytes per page (page size less the reserved bytes at the end of each). */
  readonly usable: number;
  readonly pageCount: number;
  /** Whether the 100-byte database header was intact (then the free-page list can be trusted). */
  readonly headerValid: boolean;
  private readonly db: number;
  private readonly dbBytes: number;
  private readonly wal: number | undefined;
  /** Page number → offset of its page image in the WAL. */
  private readonly walPages = new Map<number, number>();

  /**
   * `pastDamage`: also take the WAL's frames after its first invalid one, as long as they carry the
   * WAL's current salts (then they were written after it, in this generation of the log), up to
   * the last commit frame among them. SQLite discards those; they are read here to recover the
   * rows committed in them.
   */
  constructor(
    file: string,
    private readonly pastDamage = false,
  ) {
    this.db = openSync(file, 'r');
    this.dbBytes = fstatSync(this.db).size;
    const header = this.readAt(this.db, 0, 100);
    this.headerValid = header.length === 100 && header.subarray(0, 16).equals(HEADER_MAGIC) && validPageSize(pageSizeOf(header));
    const walFile = `${file}-wal`;
    this.wal = existsSync(walFile) ? openSync(walFile, 'r') : undefined;
    const walPageSize = this.wal === undefined ? undefined : this.indexWal(this.wal);
    this.pageSize = this.headerValid ? pageSizeOf(header) : (walPageSize ?? this.guessPageSize());
    const reserved = this.headerValid ? header[20]! : 0;
    this.usable = this.pageSize - reserved;
    let highest = Math.ceil(this.dbBytes / this.pageSize);
    for (const page of this.walPages.keys()) highest = Math.max(highest, page);
    this.pageCount = highest;
  }

  /** Whether page `n` is read from the WAL (it changed since the last checkpoint SQLite knows of). */
  inWal(n: number): boolean {
    return this.walPages.has(n);
  }

  /** Page `n` (1-based), or undefined beyond the end of the file. */
  page(n: number): Buffer | undefined {
    const inWal = this.walPages.get(n);
    if (inWal !== undefined && this.wal !== undefined) return this.readAt(this.wal, inWal, this.pageSize);
    const at = (n - 1) * this.pageSize;
    if (n < 1 || at >= this.dbBytes) return undefined;
    const page = this.readAt(this.db, at, this.pageSize);
    // A page cut short by a truncation is read as zeros beyond the end, as SQLite does.
    return page.length === this.pageSize ? page : Buffer.concat([page, Buffer.alloc(this.pageSize - page.length)]);
  }

  /** Pages on the free list (their cells are stale copies of deleted rows); empty when the header is damaged. */
  freePages(): Set<number> {
    const free = new Set<number>();
    if (!this.headerValid) return free;
    const first = this.page(1);
    let trunk = first ? first.readUInt32BE(32) : 0;
    while (trunk !== 0 && !free.has(trunk) && trunk <= this.pageCount) {
      free.add(trunk);
      const page = this.page(trunk);
      if (!page) break;
      const leaves = Math.min(page.readUInt32BE(4), (this.usable - 8) / 4);
      for (let i = 0; i < leaves; i++) free.add(page.readUInt32BE(8 + 4 * i));
      trunk = page.readUInt32BE(0);
    }
    return free;
  }

  close(): void {
    closeSync(this.db);
    if (this.wal !== undefined) closeSync(this.wal);
  }

  private readAt(fd: number, position: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  /**
   * Records which pages the WAL holds, up to its last valid commit frame (sqlite.org/walformat.html:
   * a frame counts only when its salts match the header's and the running checksum matches).
   * Returns the WAL's page size, or undefined when it has no valid header.
   */
  private indexWal(fd: number): number | undefined {
    const log = readWal((at, length) => this.readAt(fd, at, length));
    if (!log) return undefined;
    const usable = this.pastDamage ? log.frames.filter((f) => f.salted) : log.frames.filter((f) => f.valid);
    const lastCommit = usable.findLastIndex((f) => f.commit);
    for (const frame of usable.slice(0, lastCommit + 1)) this.walPages.set(frame.page, frame.offset);
    return log.pageSize;
  }

  /** With no readable header: the size at which the most pages look like table leaves. */
  private guessPageSize(): number {
    let best = PAGE_SIZES[0]!;
    let bestCount = -1;
    for (const size of PAGE_SIZES) {
      let count = 0;
      const pages = Math.min(256, Math.floor(this.dbBytes / size));
      for (let n = 2; n <= pages; n++) {
        const page = this.readAt(this.db, (n - 1) * size, size);
        if (leafCellOffsets(page, 0, size) !== undefined) count += 1;
      }
      if (count > bestCount) {
        best = size;
        bestCount = count;
      }
    }
    return best;
  }
}

function pageSizeOf(header: Buffer): number {
  const raw = header.readUInt16BE(16);
  return raw === 1 ? 65536 : raw;
}

function validPageSize(n: number): boolean {
  return n >= 512 && n <= 65536 && (n & (n - 1)) === 0;
}

/** SQLite's WAL checksum (two 32-bit running sums over 32-bit words) continued from `seed`. */
function walChecksum(bigEndian: boolean, data: Buffer, seed: [number, number]): [number, number] {
  let [s1, s2] = seed;
  for (let i = 0; i + 8 <= data.length; i += 8) {
    const a = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const b = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s1 = (s1 + a + s2) >>> 0;
    s2 = (s2 + b + s1) >>> 0;
  }
  return [s1, s2];
}

interface WalFrame {
  page: number;
  /** Where its page image starts in the WAL file. */
  offset: number;
  commit: boolean;
  /** Its salts are the WAL header's: written in the log's current generation. */
  salted: boolean;
  /** Salted, and the running checksum holds up to here: what SQLite's recovery reads. */
  valid: boolean;
}

/** The frames of a WAL file, each judged as SQLite's recovery would (sqlite.org/walformat.html). */
function readWal(read: (at: number, length: number) => Buffer): { pageSize: number; frames: WalFrame[] } | undefined {
  const header = read(0, WAL_HEADER_BYTES);
  if (header.length < WAL_HEADER_BYTES) return undefined;
  const magic = header.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return undefined;
  const bigEndian = magic === 0x377f0683;
  const pageSize = header.readUInt32BE(8);
  if (!validPageSize(pageSize)) return undefined;
  let sum = walChecksum(bigEndian, header.subarray(0, 24), [0, 0]);
  if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return undefined;
  const salts = header.subarray(16, 24);
  const frames: WalFrame[] = [];
  let intact = true;
  for (let at = WAL_HEADER_BYTES; ; at += WAL_FRAME_HEADER_BYTES + pageSize) {
    const frame = read(at, WAL_FRAME_HEADER_BYTES + pageSize);
    if (frame.length < WAL_FRAME_HEADER_BYTES + pageSize) break;
    const page = frame.readUInt32BE(0);
    const salted = page !== 0 && frame.subarray(8, 16).equals(salts);
    if (intact && salted) {
      sum = walChecksum(bigEndian, frame.subarray(0, 8), sum);
      sum = walChecksum(bigEndian, frame.subarray(WAL_FRAME_HEADER_BYTES), sum);
      intact = sum[0] === frame.readUInt32BE(16) && sum[1] === frame.readUInt32BE(20);
    } else intact = false;
    frames.push({ page, offset: at + WAL_FRAME_HEADER_BYTES, commit: frame.readUInt32BE(4) !== 0, salted, valid: intact });
  }
  return { pageSize, frames };
}

/** A WAL in which SQLite's recovery stops early: the first invalid frame is followed by frames written after it. */
export interface WalDamage {
  /** 1-based number of the first frame SQLite's recovery rejects. */
  firstBadFrame: number;
  /** Commit frames (transactions) at or after it that SQLite will discard. */
  discardedCommits: number;
}

/**
 * Whether the WAL beside `file` holds commits SQLite's recovery will discard without a word:
 * commit frames of the log's current generation at or after its first invalid frame. (Frames of
 * earlier generations carry other salts, and a transaction a crash cut off before its commit
 * frame was never acknowledged: neither counts.)
 */
export function inspectWal(file: string): WalDamage | undefined {
  const walFile = `${file}-wal`;
  if (!existsSync(walFile)) return undefined;
  const fd = openSync(walFile, 'r');
  try {
    const log = readWal((at, length) => {
      const buf = Buffer.alloc(length);
      const n = readSync(fd, buf, 0, length, at);
      return buf.subarray(0, n);
    });
    if (!log) return undefined;
    const bad = log.frames.findIndex((f) => !f.valid);
    if (bad < 0) return undefined;
    // Commits of this generation from the bad frame on: none, and what SQLite drops (a transaction
    // cut off by a crash before its commit frame) was never acknowledged.
    const discardedCommits = log.frames.slice(bad).filter((f) => f.salted && f.commit).length;
    return discardedCommits > 0 ? { firstBadFrame: bad + 1, discardedCommits } : undefined;
  } finally {
    closeSync(fd);
  }
}

/** The cell offsets of a table-leaf page, or undefined when the page is not a plausible one. */
function leafCellOffsets(page: Buffer, headerAt: number, usable: number): number[] | undefined {
  if (page.length < headerAt + 8 || page[headerAt] !== TABLE_LEAF) return undefined;
  const cells = page.readUInt16BE(headerAt + 3);
  const pointers = headerAt + 8;
  if (pointers + 2 * cells > usable) return undefined;
  const offsets: number[] = [];
  for (let i = 0; i < cells; i++) {
    const at = page.readUInt16BE(pointers + 2 * i);
    if (at < pointers + 2 * cells || at >= usable) return undefined;
    offsets.push(at);
  }
  return offsets;
}

function varint(buf: Buffer, at: number): [value: number, next: number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (at + i >= buf.length) throw new RangeError('varint runs past the end');
    const byte = buf[at + i]!;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  if (at + 8 >= buf.length) throw new RangeError('varint runs past the end');
  return [value * 256 + buf[at + 8]!, at + 9];
}

/** What the table-leaf cells of a journal file hold, found by the shape of their records. */
export interface CellIndex {
  /** Rows shaped like a delivery (`seq` is the rowid), by seq. */
  deliveries: Map<number, CellRef>;
  /** Every (text, integer) record: the `meta` table's watermarks and `sqlite_sequence`'s entries. */
  pairs: Array<[string, number]>;
}

/**
 * Every cell of every table-leaf page (of those read from the WAL, with `onlyWalPages`), skipping
 * free pages. A seq found on two pages (a stale copy left by a page split) keeps its first place;
 * both copies hold the same row.
 */
export function indexCells(file: PageFile, onlyWalPages = false): CellIndex {
  const index: CellIndex = { deliveries: new Map(), pairs: [] };
  const free = file.freePages();
  for (let n = 1; n <= file.pageCount; n++) {
    if (free.has(n) || (onlyWalPages && !file.inWal(n))) continue;
    const page = file.page(n);
    if (!page) continue;
    const offsets = leafCellOffsets(page, n === 1 ? 100 : 0, file.usable);
    if (!offsets) continue;
    offsets.forEach((offset, cell) => {
      try {
        const [, afterSize] = varint(page, offset);
        const [rowid, start] = varint(page, afterSize);
        const shape = shapeOf(recordTypes(page, start));
        if (shape === 'delivery' && !index.deliveries.has(rowid)) index.deliveries.set(rowid, { page: n, cell });
        if (shape === 'pair') {
          const [key, value] = readRecord(file, { page: n, cell });
          index.pairs.push([key as string, Number(value)]);
        }
      } catch {
        // A cell cut off by damage: a delivery in it is counted as missing by the caller.
      }
    });
  }
  return index;
}

/** The serial types of the record starting at `at` (its header must be on this page). */
function recordTypes(buf: Buffer, at: number): number[] {
  const [headerSize, first] = varint(buf, at);
  const types: number[] = [];
  for (let p = first; p < at + headerSize; ) {
    const [type, next] = varint(buf, p);
    types.push(type);
    p = next;
  }
  return types;
}

const isInt = (t: number | undefined): boolean => t !== undefined && ((t >= 1 && t <= 6) || t === 8 || t === 9);
const isText = (t: number | undefined): boolean => t !== undefined && t >= 13 && t % 2 === 1;
const isBlob = (t: number | undefined): boolean => t !== undefined && t >= 12 && t % 2 === 0;

/**
 * A delivery row: seq (NULL, the rowid stands for it), then source, codec, receipt time, bytes,
 * body; or, in a journal from before `source`/`codec`, topic, receipt time, bytes, body.
 */
function shapeOf(t: number[]): 'delivery' | 'pair' | undefined {
  if (t.length === 6 && t[0] === 0 && isText(t[1]) && isText(t[2]) && isInt(t[3]) && isInt(t[4]) && isBlob(t[5])) return 'delivery';
  if (t.length === 5 && t[0] === 0 && isText(t[1]) && isInt(t[2]) && isInt(t[3]) && isBlob(t[4])) return 'delivery';
  if (t.length === 2 && isText(t[0]) && isInt(t[1])) return 'pair';
  return undefined;
}

/** The values of the record in a cell, its payload's overflow chain followed. Throws when damaged. */
export function readRecord(file: PageFile, ref: CellRef): RecordValue[] {
  const page = file.page(ref.page);
  if (!page) throw new Error(`page ${ref.page} is beyond the end of the file`);
  const offsets = leafCellOffsets(page, ref.page === 1 ? 100 : 0, file.usable);
  const offset = offsets?.[ref.cell];
  if (offset === undefined) throw new Error(`page ${ref.page} is no longer a table leaf`);
  const [size, afterSize] = varint(page, offset);
  const [, start] = varint(page, afterSize);
  const u = file.usable;
  const x = u - 35;
  const m = Math.floor(((u - 12) * 32) / 255) - 23;
  const k = m + ((size - m) % (u - 4));
  const local = size <= x ? size : k <= x ? k : m;
  if (start + local > u) throw new Error('cell payload runs past the page');
  const payload = Buffer.alloc(size);
  page.copy(payload, 0, start, start + local);
  let filled = local;
  let next = local < size ? page.readUInt32BE(start + local) : 0;
  const seen = new Set<number>();
  while (filled < size) {
    if (next === 0 || next > file.pageCount || seen.has(next)) throw new Error(`overflow chain broken at page ${next}`);
    seen.add(next);
    const overflow = file.page(next);
    if (!overflow) throw new Error(`overflow page ${next} is missing`);
    const take = Math.min(u - 4, size - filled);
    overflow.copy(payload, filled, 4, 4 + take);
    filled += take;
    next = overflow.readUInt32BE(0);
  }
  return decodeRecord(payload);
}

function decodeRecord(payload: Buffer): RecordValue[] {
  const [headerSize, first] = varint(payload, 0);
  if (headerSize > payload.length) throw new Error('record header runs past the payload');
  const types: number[] = [];
  for (let at = first; at < headerSize; ) {
    const [type, next] = varint(payload, at);
    types.push(type);
    at = next;
  }
  const values: RecordValue[] = [];
  let at = headerSize;
  for (const type of types) {
    const [value, width] = column(payload, at, type);
    values.push(value);
    at += width;
  }
  if (at !== payload.length) throw new Error('record size does not match its header');
  return values;
}

const INT_WIDTHS = [0, 1, 2, 3, 4, 6, 8];

function column(buf: Buffer, at: number, type: number): [RecordValue, number] {
  if (type === 0) return [null, 0];
  if (type === 8) return [0n, 0];
  if (type === 9) return [1n, 0];
  if (type >= 1 && type <= 6) {
    const width = INT_WIDTHS[type]!;
    if (at + width > buf.length) throw new Error('column runs past the record');
    return [width === 8 ? buf.readBigInt64BE(at) : BigInt(buf.readIntBE(at, width)), width];
  }
  if (type === 7) {
    if (at + 8 > buf.length) throw new Error('column runs past the record');
    return [buf.readDoubleBE(at), 8];
  }
  if (type >= 12) {
    const width = Math.floor((type - 12) / 2);
    if (at + width > buf.length) throw new Error('column runs past the record');
    const bytes = buf.subarray(at, at + width);
    return [type % 2 === 0 ? Buffer.from(bytes) : bytes.toString('utf8'), width];
  }
  throw new Error(`reserved serial type ${type}`);
}
