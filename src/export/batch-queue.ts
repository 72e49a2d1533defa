export interface ExportOutcome {
  ok: boolean;
  error?: Error | undefined;
  /**
   * The backend refuses the batch's content as such (HTTP 400 or 413), or it cannot be
   * serialised: retrying it unchanged cannot help, but a smaller part of it may pass.
   */
  malformed?: boolean;
}

export type ExportFn<T> = (items: T[]) => Promise<ExportOutcome>;

export interface BatchQueueOptions {
  maxBatchSize: number;
  scheduleDelayMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

/** `held`: what was added with each item (its batches' acknowledgements), in step with `items`. */
export interface BatchQueueHooks<T, H> {
  exported?(items: T[], held: H[], durationMs: number): void;
  failed?(items: T[], error: Error | undefined, attempt: number): void;
  /** A record the backend refused as malformed on its own; the queue moves on without it. */
  dropped?(items: T[], held: H[], error: Error | undefined): void;
}

/**
 * An in-order export queue for one signal. Unlike the SDK's batch processors it never drops for
 * lack of room or patience: a failed batch goes back to the head of the queue and is retried with
 * exponential backoff until it is exported, however many records arrive meanwhile. Whoever adds to
 * it decides how much may wait (see `size`). Only a batch the backend refuses as malformed is split
 * in halves until the records it refuses are isolated; a record refused on its own is dropped,
 * through the `dropped` hook.
 */
export class BatchQueue<T, H = undefined> {
  private pending: T[] = [];
  /** What the caller added with each pending record, in step with `pending`. */
  private held: H[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** A failed export waits out its backoff: records added meanwhile do not cut it short. */
  private backingOff = false;
  private attempt = 0;
  private idleWaiters: Array<() => void> = [];
  // While isolating a permanently refused record: the smaller batch size, and how many records
  // the refused batch covered (normal batching resumes once they are through).
  private splitSize = 0;
  private splitRemaining = 0;

  constructor(
    private readonly exportBatch: ExportFn<T>,
    private readonly options: BatchQueueOptions,
    private readonly hooks: BatchQueueHooks<T, H> = {},
  ) {}

  /** Records waiting or being exported. */
  get size(): number {
    return this.pending.length;
  }

  add(item: T, held: H): void {
    this.pending.push(item);
    this.held.push(held);
    if (this.running || this.backingOff) return;
    if (this.pending.length >= this.options.maxBatchSize) this.run();
    else this.schedule(this.options.scheduleDelayMs);
  }

  /** Export everything now; resolves true once the queue is empty, false at the deadline. */
  async flush(deadline: number): Promise<boolean> {
    if (this.pending.length === 0 && !this.running) return true;
    if (!this.running) this.run();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const remaining = Math.max(0, deadline - Date.now());
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, remaining);
    });
    await Promise.race([idle, expired]);
    clearTimeout(timeout);
    return this.pending.length === 0;
  }

  /** Stop timers and let go of what is still pending (its acknowledgements stay unreleased, so
   * whoever keeps its batches keeps them); resolves how many records that was. */
  stop(): number {
    clearTimeout(this.timer);
    this.timer = undefined;
    const left = this.pending.length;
    this.pending = [];
    this.held = [];
    return left;
  }

  private schedule(delayMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.backingOff = false;
      this.run();
    }, delayMs);
    this.timer.unref?.();
  }

  private run(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.backingOff = false;
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, this.splitSize > 0 ? this.splitSize : this.options.maxBatchSize);
      const started = performance.now();
      let outcome: ExportOutcome;
      try {
        outcome = await this.exportBatch(batch);
      } catch (err) {
        // Thrown before anything was sent (the serializer): the same records would throw again.
        outcome = { ok: false, error: err as Error, malformed: true };
      }
      if (outcome.ok) {
        this.pending.splice(0, batch.length);
        const held = this.held.splice(0, batch.length);
        this.attempt = 0;
        this.passedSplit(batch.length);
        this.hooks.exported?.(batch, held, performance.now() - started);
        continue;
      }
      if (outcome.malformed) {
        this.attempt = 0;
        if (batch.length > 1) {
          if (this.splitSize === 0) this.splitRemaining = batch.length;
          this.splitSize = Math.ceil(batch.length / 2);
        } else {
          this.pending.splice(0, 1);
          const held = this.held.splice(0, 1);
          this.passedSplit(1);
          this.hooks.dropped?.(batch, held, outcome.error);
        }
        continue;
      }
      this.attempt += 1;
      this.hooks.failed?.(batch, outcome.error, this.attempt);
      this.running = false;
      this.backingOff = true;
      this.schedule(this.backoff());
      return;
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private passedSplit(count: number): void {
    if (this.splitSize === 0) return;
    this.splitRemaining -= count;
    if (this.splitRemaining <= 0) this.splitSize = 0;
  }

  private backoff(): number {
    const { retryInitialMs, retryMaxMs } = this.options;
    const base = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(this.attempt - 1, 20));
    // Full jitter keeps several bridges from hammering a recovering backend in step.
    return Math.round(base / 2 + Math.random() * (base / 2));
  }
}
