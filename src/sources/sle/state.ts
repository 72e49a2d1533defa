import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { SleFamily } from '../../mist-api/types.js';

/**
 * The last bucket exported per org and SLE family, kept in a small JSON file so a restart
 * neither exports a bucket again nor forgets to backfill the ones it missed. Written whole to a
 * temporary file and renamed (write-file-atomic), so a crash leaves the old file or the new one.
 */
export interface SleStateFile {
  version: 1;
  /** org id → family → start (epoch s) of the last bucket exported. */
  orgs: Record<string, Partial<Record<SleFamily, number>>>;
}

export const SLE_STATE_FILE = 'sle-poller.json';

export class SleState {
  private constructor(
    private readonly file: string,
    private data: SleStateFile,
  ) {}

  /** Reads the state in `dir`; a missing file is an empty state, an unreadable one an error. */
  static async open(dir: string): Promise<SleState> {
    const file = join(dir, SLE_STATE_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SleState(file, { version: 1, orgs: {} });
      throw err;
    }
    const data = JSON.parse(text) as SleStateFile;
    if (data?.version !== 1 || typeof data.orgs !== 'object' || data.orgs === null) throw new Error(`${file}: not an SLE poller state file`);
    return new SleState(file, data);
  }

  lastBucket(orgId: string, family: SleFamily): number | undefined {
    const at = this.data.orgs[orgId]?.[family];
    return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
  }

  async markExported(orgId: string, family: SleFamily, bucketStart: number): Promise<void> {
    this.data = { ...this.data, orgs: { ...this.data.orgs, [orgId]: { ...this.data.orgs[orgId], [family]: bucketStart } } };
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify(this.data, null, 2) + '\n');
  }
}
