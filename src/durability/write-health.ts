import type { Logger } from '../log/logger.js';

/** The journal's writes that can fail on their own: the writer's appends, the release's deletes, the checkpointer's copies. */
export type JournalWrite = 'append' | 'release' | 'checkpoint';

const CONSEQUENCE: Record<JournalWrite, string> = {
  append: 'the journal cannot be written: deliveries are answered 503 with Retry-After until it can',
  release: 'exported rows cannot be deleted from the journal: the release is tried again until it succeeds',
  checkpoint: "the journal's write-ahead log cannot be checkpointed: it grows until a checkpoint succeeds",
};

// While a write keeps failing, one reminder with the count at most this often.
const REMIND_EVERY_MS = 60_000;

interface Failing {
  cause: string;
  sinceMs: number;
  lastMs: number;
  failures: number;
  remindedMs: number;
  unreported: number;
}

/**
 * Which journal writes are failing, and since when. A full disk fails every write many times
 * a second: the log says so when a write starts failing, at most once a minute while it lasts
 * (with how many failed), and when it succeeds again.
 */
export class WriteHealth {
  readonly errors: Record<JournalWrite, number> = { append: 0, release: 0, checkpoint: 0 };
  private readonly failing = new Map<JournalWrite, Failing>();

  constructor(private readonly log: Logger) {}

  failed(write: JournalWrite, cause: string, file: string): void {
    this.errors[write] += 1;
    const now = Date.now();
    const state = this.failing.get(write);
    if (!state) {
      this.failing.set(write, { cause, sinceMs: now, lastMs: now, failures: 1, remindedMs: now, unreported: 0 });
      this.log.error(CONSEQUENCE[write], { operation: write, file, error: cause });
      return;
    }
    state.failures += 1;
    state.unreported += 1;
    state.lastMs = now;
    state.cause = cause;
    if (now - state.remindedMs >= REMIND_EVERY_MS) {
      this.log.warn(`still failing: ${CONSEQUENCE[write]}`, {
        operation: write,
        file,
        error: cause,
        failing_for_s: Math.round((now - state.sinceMs) / 1000),
        failures_since_last_report: state.unreported,
      });
      state.remindedMs = now;
      state.unreported = 0;
    }
  }

  succeeded(write: JournalWrite): void {
    const state = this.failing.get(write);
    if (!state) return;
    this.failing.delete(write);
    this.log.info('journal writes succeed again', {
      operation: write,
      failed_for_s: Math.round((Date.now() - state.sinceMs) / 1000),
      failures: state.failures,
    });
  }

  /** Why `write` is failing, or undefined when its last attempt succeeded. */
  fault(write: JournalWrite): string | undefined {
    return this.failing.get(write)?.cause;
  }

  /** Why `write` failed, when its last failure is less than `withinMs` old. */
  recentFailure(write: JournalWrite, withinMs: number): string | undefined {
    const state = this.failing.get(write);
    return state && Date.now() - state.lastMs < withinMs ? state.cause : undefined;
  }
}
