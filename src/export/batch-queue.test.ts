import { describe, expect, it } from 'vitest';
import { BatchQueue, type ExportOutcome } from './batch-queue.js';

const options = { maxBatchSize: 8, scheduleDelayMs: 0, retryInitialMs: 5, retryMaxMs: 20 };

describe('BatchQueue', () => {
  it('retries a failing backend in order until it takes everything', async () => {
    const got: number[] = [];
    let failures = 3;
    const q = new BatchQueue<number>(async (batch): Promise<ExportOutcome> => {
      if (failures-- > 0) return { ok: false, error: new Error('down') };
      got.push(...batch);
      return { ok: true };
    }, options);
    for (let i = 0; i < 20; i++) q.add(i, undefined);
    expect(await q.flush(Date.now() + 5000)).toBe(true);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('isolates records the backend refuses for good by halving the batch, dropping only those', async () => {
    const got: number[] = [];
    const dropped: number[] = [];
    const poison = new Set([5, 13]);
    const q = new BatchQueue<number>(
      async (batch) => {
        if (batch.some((n) => poison.has(n))) return { ok: false, malformed: true, error: new Error('400') };
        got.push(...batch);
        return { ok: true };
      },
      options,
      { dropped: (items) => dropped.push(...items) },
    );
    for (let i = 0; i < 20; i++) q.add(i, undefined);
    expect(await q.flush(Date.now() + 5000)).toBe(true);
    expect(dropped).toEqual([5, 13]);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((n) => !poison.has(n)));
  });

  it('hands each record back with what was added with it, once exported or dropped', async () => {
    const settled: string[] = [];
    let calls = 0;
    const q = new BatchQueue<number, string>(
      async (batch) => (++calls === 1 && batch.length > 1 ? { ok: false, malformed: true } : batch.includes(2) ? { ok: false, malformed: true } : { ok: true }),
      { ...options, maxBatchSize: 4 },
      {
        exported: (_items, held) => settled.push(...held.map((h) => `exported ${h}`)),
        dropped: (_items, held) => settled.push(...held.map((h) => `dropped ${h}`)),
      },
    );
    for (const n of [1, 2, 3]) q.add(n, `b${n}`);
    expect(await q.flush(Date.now() + 5000)).toBe(true);
    expect(settled).toEqual(['exported b1', 'dropped b2', 'exported b3']);
  });

  it('lets go of what is pending at stop, and says how much', () => {
    const q = new BatchQueue<number>(async () => ({ ok: false }), { ...options, scheduleDelayMs: 60_000 });
    q.add(7, undefined);
    q.add(8, undefined);
    expect(q.stop()).toBe(2);
    expect(q.size).toBe(0);
  });
});
