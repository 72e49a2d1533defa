import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/support/temp-dirs.js';
import type { Logger } from '../log/logger.js';
import { Journal, JournalFullError, JournalOpenError, type JournalOptions } from './journal.js';

const tempDir = useTempDirs('journal-test-');

const body = (s: string) => Buffer.from(s);
const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };
const open = (options: Omit<JournalOptions, 'log'>, log: Logger = quiet): Journal => new Journal({ ...options, log });
/** A webhook delivery as the intake journals it. */
const entry = (receivedNs: bigint, b: Buffer) => ({ source: 'webhook', codec: 'mist-envelope', receivedNs, body: b });

describe('Journal', () => {
  it('commits concurrent appends together, in order, and reads them back after a reopen', async () => {
    const dir = tempDir();
    const j = open({ dir, maxBytes: 1 << 20, synchronous: 'normal' });
    const seqs = await Promise.all([1, 2, 3].map((i) => j.append(entry(1_700_000_000_123_456_789n + BigInt(i), body(`{"n":${i}}`)))));
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2]);
    await j.close();

    const again = open({ dir, maxBytes: 1 << 20, synchronous: 'normal' });
    const rows = again.read(0, 10);
    expect(rows.map((r) => r.body.toString())).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    // Receipt times survive exactly (nanoseconds beyond 2^53).
    expect(rows[2]!.receivedNs).toBe(1_700_000_000_123_456_792n);
    expect(again.count).toBe(3);
    await again.close();
  });

  it('releases rows and persists per-signal progress; seqs are never reused', async () => {
    const dir = tempDir();
    const j = open({ dir, maxBytes: 1 << 20, synchronous: 'full' });
    const a = await j.append(entry(1n, body('a')));
    const b = await j.append(entry(2n, body('b')));
    expect(j.release(b, { logs: b, spans: b, metrics: a })).toBe(b);
    expect(j.count).toBe(0);
    expect(j.bytes).toBe(0);
    await j.close();
    const again = open({ dir, maxBytes: 1 << 20, synchronous: 'full' });
    expect(again.watermarks()).toEqual({ logs: b, spans: b, metrics: a });
    // An empty table must not hand out seqs at or below the persisted marks again.
    expect(await again.append(entry(3n, body('c')))).toBeGreaterThan(b);
    await again.close();
  });

  it('deletes a long run of exported rows in slices', async () => {
    const j = open({ dir: null, maxBytes: 1 << 30, synchronous: 'normal' });
    const seqs = await Promise.all(Array.from({ length: 5000 }, (_, i) => j.append(entry(BigInt(i), body('x')))));
    const last = seqs[seqs.length - 1]!;
    const marks = { logs: last, spans: last, metrics: last };
    expect(j.release(last, marks)).toBeLessThan(last);
    expect(j.count).toBe(5000 - 4096);
    expect(j.release(last, marks)).toBe(last);
    expect(j.count).toBe(0);
    await j.close();
  });

  it('refuses an append beyond maxBytes at once and counts bytes back on release', async () => {
    const j = open({ dir: null, maxBytes: 300, synchronous: 'normal' });
    const seq = await j.append(entry(1n, Buffer.alloc(150)));
    expect(() => j.append(entry(2n, Buffer.alloc(150)))).toThrow(JournalFullError);
    expect(j.fits(20)).toBe(true);
    expect(j.fits(30)).toBe(false);
    j.release(seq, { logs: seq, spans: seq, metrics: seq });
    expect(j.fits(200)).toBe(true);
    await j.close();
  });

  it('replaces a writer thread that died: deliveries are refused for a second, then committed again', async () => {
    const j = open({ dir: tempDir(), maxBytes: 1 << 20, synchronous: 'normal' });
    await j.append(entry(1n, body('before')));
    // As a crash of the thread would (out of memory, a bug): the test reaches into the writer.
    await (j as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer.worker.terminate();
    await expect(j.append(entry(2n, body('refused')))).rejects.toThrow(/journal writer thread stopped/);
    await new Promise((r) => setTimeout(r, 1100));
    const seq = await j.append(entry(3n, body('after')));
    expect(j.read(0, 10).map((r) => [r.seq, r.body.toString()])).toEqual([
      [seq - 1, 'before'],
      [seq, 'after'],
    ]);
    await j.close();
  });

  it('is held by one bridge at a time', async () => {
    const dir = tempDir();
    const first = open({ dir, maxBytes: 1 << 20, synchronous: 'normal' });
    await first.append(entry(1n, body('x')));
    expect(() => open({ dir, maxBytes: 1 << 20, synchronous: 'normal' })).toThrow(/locked by another running bridge/);
    await first.close();
    const next = open({ dir, maxBytes: 1 << 20, synchronous: 'normal' });
    expect(next.count).toBe(1);
    // Locked as well when the lock file is there from an earlier run (the lock writes nothing then).
    expect(() => open({ dir, maxBytes: 1 << 20, synchronous: 'normal' })).toThrow(/locked by another running bridge/);
    await next.close();
  });

  it('says in one line why it cannot open, instead of hanging or blaming a lock', () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, '');
    expect(() => open({ dir: file, maxBytes: 1 << 20, synchronous: 'normal' })).toThrow(
      new JournalOpenError(`cannot create the journal directory ${file}: it exists and is not a directory`),
    );
    // Node's own recursive mkdir spins for ever here.
    if (existsSync('/proc/self')) {
      expect(() => open({ dir: '/proc/mist-journal-test/data', maxBytes: 1 << 20, synchronous: 'normal' })).toThrow(
        /^cannot create the journal directory \/proc\/mist-journal-test\/data: ENOENT/,
      );
    }
  });
});
