import { existsSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BridgeConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { Journal, JournalOpenError } from './journal.js';

export const JOURNAL_USAGE = `mist-otel-bridge journal salvage FILE [--config FILE]   copy the readable rows of a journal file (e.g. a damaged one moved aside) into the configured journal; the next start exports them`;

/** `mist-otel-bridge journal …`: what to print and the exit code. */
export async function journalCommand(args: string[], config: BridgeConfig, log: Logger): Promise<{ code: number; out: string }> {
  const [action, file, ...rest] = args;
  if (action !== 'salvage' || file === undefined || rest.length > 0) return { code: 2, out: `usage: ${JOURNAL_USAGE}` };
  if (!existsSync(file) || !statSync(file).isFile()) return { code: 1, out: `mist-otel-bridge: ${file} is not a file` };
  const { dir } = config.durability;
  if (dir === null) return { code: 1, out: 'mist-otel-bridge: durability.dir (MIST_BRIDGE_DATA_DIR) is not set: there is no journal on disk to salvage into' };
  const target = resolve(dir, 'journal.sqlite');
  if (existsSync(target) && realpathSync(target) === realpathSync(file)) {
    return { code: 1, out: `mist-otel-bridge: ${file} is the configured journal itself; the bridge moves a damaged journal aside and salvages it at start-up` };
  }
  let journal: Journal;
  try {
    journal = new Journal({ ...config.durability, log });
  } catch (err) {
    if (err instanceof JournalOpenError) return { code: 1, out: `mist-otel-bridge: ${err.message} (stop the bridge before salvaging into its journal)` };
    throw err;
  }
  try {
    const before = journal.count;
    const r = journal.salvageFrom(file);
    const lines = [
      `salvaged ${r.salvaged} rows from ${file} into ${journal.file} (read ${r.method === 'sqlite' ? 'through SQLite' : r.method === 'pages' ? 'from its raw pages' : 'through SQLite and from its raw pages'})`,
      `unreadable: ${r.unreadable} rows owed for export could not be read`,
      `already exported: ${r.alreadyExported} rows left behind`,
      `the journal now holds ${journal.count} deliveries (${before} before); the next start of the bridge exports them`,
      ...r.problems.map((p) => `  problem: ${p}`),
    ];
    return { code: 0, out: lines.join('\n') };
  } finally {
    await journal.close();
  }
}
