/**
 * What an SQLite error means for the journal. better-sqlite3 throws SqliteError with the
 * extended result code as `code` (SQLITE_FULL, SQLITE_IOERR_WRITE, SQLITE_CORRUPT_INDEX...);
 * the worker threads pass the same code back with their error messages.
 */
export type SqliteFault =
  /** The disk (or the file's quota) is full: the write can succeed once space is freed. */
  | 'full'
  /** The OS refused a read or write: it may pass (a network volume, a full inode table). */
  | 'io'
  /** The file is damaged or not a database: retrying cannot help. */
  | 'corrupt'
  /** Another connection or process holds a lock. */
  | 'locked'
  | 'readonly'
  | 'cantopen'
  | 'other';

export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

export function faultOf(code: string | undefined): SqliteFault {
  if (code === undefined) return 'other';
  if (code === 'SQLITE_FULL') return 'full';
  if (code.startsWith('SQLITE_IOERR')) return 'io';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  if (code.startsWith('SQLITE_READONLY')) return 'readonly';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'cantopen';
  return 'other';
}

const MEANING: Record<SqliteFault, string> = {
  full: 'the disk is full',
  io: 'the disk reported an I/O error',
  corrupt: 'the file is damaged or not an SQLite database',
  locked: 'it is locked by another process',
  readonly: 'it is read-only',
  cantopen: 'it cannot be opened (a missing or unwritable directory?)',
  other: 'SQLite refused it',
};

/**
 * "the disk is full (SQLITE_FULL: database or disk is full)": the cause in words, then SQLite's
 * own; `err` is an Error or any `{ message, code }` (a worker thread's report). `freeBytes`, when known: SQLite reports a full disk as an I/O error where it cannot tell
 * (creating the WAL index, SQLITE_IOERR_SHMSIZE), so a disk found with no room left says so.
 */
export function describeFault(err: unknown, freeBytes?: number): string {
  const code = sqliteCode(err);
  const message = typeof err === 'object' && err !== null && 'message' in err ? String(err.message) : String(err);
  if (code === undefined) return message;
  const fault = faultOf(code);
  if ((fault === 'io' || fault === 'cantopen') && freeBytes !== undefined && freeBytes < LOW_SPACE_BYTES) {
    return `${MEANING.full} (${freeBytes} bytes free; ${code}: ${message})`;
  }
  return `${MEANING[fault]} (${code}: ${message})`;
}

// Less than this free, an I/O error at open is a full disk: SQLite needs a 32 KiB WAL index and a page or two.
const LOW_SPACE_BYTES = 1 << 20;
