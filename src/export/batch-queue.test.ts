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
    for (let i = 0; i < 20; i++) q.add(i);
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
    for (let i = 0; i < 20; i++) q.add(i);
    expect(await q.flush(Date.now() + 5000)).toBe(true);
    expect(dropped).toEqual([5, 13]);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i).filter((n) => !poison.has(n)));
  });

  it('exposes the oldest unexported record', () => {
    const q = new BatchQueue<number>(async () => ({ ok: false }), { ...options, scheduleDelayMs: 60_000 });
    expect(q.headTag).toBeUndefined();
    q.add(7, 70);
    q.add(8, 80);
    expect(q.headTag).toBe(70);
    q.stop();
  });
});
