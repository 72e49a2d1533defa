/**
 * Exponential backoff with jitter, driven by events rather than by retrying one call: the stream
 * resets it only when every subscription is acknowledged again, long after the connection opened,
 * which retry-a-promise libraries (p-retry, exponential-backoff) cannot express.
 */
export class Backoff {
  private failureCount = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures since the last reset. */
  get failures(): number {
    return this.failureCount;
  }

  /** The wait before the next try: initial·2^(failures−1), capped, of which the upper half is random. */
  next(): number {
    this.failureCount += 1;
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failureCount - 1, 30));
    // The random half keeps bridges that lost Mist together from coming back in step.
    return Math.round(base / 2 + this.random() * (base / 2));
  }

  reset(): void {
    this.failureCount = 0;
  }
}
