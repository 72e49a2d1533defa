import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real, small filesystem: a tmpfs mounted for the test, so SQLite really gets SQLITE_FULL. */
export interface SmallDisk {
  dir: string;
  /** Free bytes now. */
  free(): number;
  /** Writes a filler file until `leaveBytes` (or nothing) is left free. */
  fill(leaveBytes?: number): void;
  /** Deletes the filler. */
  freeUp(): void;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `bytes`, or says why it cannot (mounting needs root or CAP_SYS_ADMIN; CI runs
 * as root on a machine like the development one, where it works).
 */
export function mountSmallDisk(bytes: number): SmallDisk | { cannot: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mist-bridge-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { cannot: `mounting a tmpfs is not permitted here (${stderr || (err as Error).message})` };
  }
  const filler = join(dir, 'filler');
  const free = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      try {
        // Large writes first, then smaller ones, until the filesystem refuses even a byte.
        for (let chunk = 1 << 20; chunk >= 1; chunk >>= 1) {
          for (;;) {
            const room = free() - leaveBytes;
            if (room < chunk) break;
            try {
              writeSync(fd, Buffer.alloc(chunk));
            } catch {
              break;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    freeUp() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
