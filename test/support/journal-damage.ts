import { closeSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';

/**
 * Damage done to a closed journal file (its WAL checkpointed into it), the way disks and people
 * do it: a file cut short, a header overwritten, one page overwritten with garbage.
 */

const GARBAGE = 0xa5;

function pageSize(file: string): number {
  const raw = readFileSync(file).readUInt16BE(16);
  return raw === 1 ? 65536 : raw;
}

/** B-tree page types by SQLite's file format; anything else is an overflow or free page. */
const TYPES: Record<number, string> = { 2: 'index-interior', 5: 'table-interior', 10: 'index-leaf', 13: 'table-leaf' };

/** The kind of every page of `file`, by page number (index 0 is page 1). */
export function pageKinds(file: string): string[] {
  const size = pageSize(file);
  const bytes = readFileSync(file);
  const kinds: string[] = [];
  for (let at = 0; at < bytes.length; at += size) kinds.push(TYPES[bytes[at === 0 ? 100 : at]!] ?? 'overflow');
  return kinds;
}

/**
 * The page number of the middle one of the pages of `kind` (after page 1). `linked-overflow`:
 * an overflow page that is not the last of its chain. (SQLite reads only as many overflow pages as
 * a value needs, so garbage in the last page of a chain comes back as a garbled value, without an
 * error; in any other it breaks the chain, which SQLite reports as damage.)
 */
export function middlePageOf(file: string, kind: 'table-leaf' | 'table-interior' | 'overflow' | 'linked-overflow'): number {
  const size = pageSize(file);
  const bytes = readFileSync(file);
  const linked = (n: number) => bytes.readUInt32BE((n - 1) * size) !== 0;
  const pages = pageKinds(file)
    .map((k, i) => [k, i + 1] as const)
    .filter(([k, n]) => n > 1 && (kind === 'linked-overflow' ? k === 'overflow' && linked(n) : k === kind))
    .map(([, n]) => n);
  if (pages.length === 0) throw new Error(`no ${kind} page in ${file}`);
  return pages[Math.floor(pages.length / 2)]!;
}

/** Overwrites page `n` (1-based) with garbage. */
export function overwritePage(file: string, n: number): void {
  const size = pageSize(file);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(size, GARBAGE), 0, size, (n - 1) * size);
  closeSync(fd);
}

/** Overwrites the 100-byte database header (magic, page size, counters) with garbage. */
export function overwriteHeader(file: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(100, GARBAGE), 0, 100, 0);
  closeSync(fd);
}

/** Cuts the file to half its pages. */
export function truncateToHalf(file: string): void {
  const size = pageSize(file);
  const pages = statSync(file).size / size;
  truncateSync(file, Math.floor(pages / 2) * size);
}

/**
 * Flips bytes in the page of a frame in the middle of the WAL beside `file`, among the frames of
 * its current generation (salts as in its header) whose page a later frame of that generation
 * writes again, so the frame's checksum fails but the page's last image stays intact. Returns that
 * frame's number and how many frames of the generation there are.
 */
export function damageWalFrame(file: string): { frame: number; frames: number } {
  const wal = readFileSync(`${file}-wal`);
  const size = wal.readUInt32BE(8);
  const salts = wal.subarray(16, 24);
  const current: Array<{ n: number; page: number }> = [];
  for (let at = 32, n = 1; at + 24 + size <= wal.length; at += 24 + size, n++) {
    if (wal.subarray(at + 8, at + 16).equals(salts)) current.push({ n, page: wal.readUInt32BE(at) });
  }
  const superseded = current.filter((f, i) => current.slice(i + 1).some((later) => later.page === f.page));
  if (superseded.length < 3) throw new Error(`only ${superseded.length} rewritten frames in ${file}-wal`);
  const frame = superseded[Math.floor(superseded.length / 2)]!.n;
  const at = 32 + (frame - 1) * (24 + size) + 24 + size / 2;
  const fd = openSync(`${file}-wal`, 'r+');
  writeSync(fd, Buffer.alloc(16, GARBAGE), 0, 16, at);
  closeSync(fd);
  return { frame, frames: current.length };
}
