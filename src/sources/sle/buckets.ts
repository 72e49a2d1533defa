/** Mist computes SLEs in 10-minute buckets, aligned on the clock (…:00, …:10, …). */
export const SLE_BUCKET_SECONDS = 600;

/** A bucket is asked for this long after it ends, so Mist has finished computing it. */
export const SLE_SETTLE_SECONDS = 300;

/** Start (epoch s) of the newest bucket that ended at least `settleSeconds` before `nowMs`. */
export function newestBucket(nowMs: number, settleSeconds = SLE_SETTLE_SECONDS): number {
  const settledUntil = Math.floor(nowMs / 1000) - settleSeconds;
  return Math.floor(settledUntil / SLE_BUCKET_SECONDS) * SLE_BUCKET_SECONDS - SLE_BUCKET_SECONDS;
}

/**
 * When to look next (epoch ms): on the interval's grid shifted by the settle time, so with the
 * default interval each look comes right as a bucket is settled (…:05, …:15, …).
 */
export function nextPollAt(nowMs: number, intervalMs: number, settleSeconds = SLE_SETTLE_SECONDS): number {
  const shift = settleSeconds * 1000;
  return (Math.floor((nowMs - shift) / intervalMs) + 1) * intervalMs + shift;
}

/** Bucket starts from `from` to `to` (epoch s), both included. */
export function bucketsBetween(from: number, to: number): number[] {
  const out: number[] = [];
  for (let b = from; b <= to; b += SLE_BUCKET_SECONDS) out.push(b);
  return out;
}
