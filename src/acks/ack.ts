/**
 * Acknowledgements: how the stage that must keep a batch (the journal, or a source itself) learns
 * that everything derived from it has left the bridge. Modelled on Vector's finalizers: whoever
 * wants to know attaches an Ack to the batch; every record derived from it holds the Ack for its
 * signal and releases it once the backend took the record (or refused it as malformed, which the
 * export stage counts); the stage that processed the batch seals it. A signal of the batch is
 * settled when it is sealed and nothing holds it any more.
 *
 * No stage between the one that attached the Ack and the export knows what it stands for (a
 * journal row, a poll bucket): they only hold and release.
 */

export type AckSignal = 'logs' | 'spans' | 'metrics';

const INDEX: Record<AckSignal, 0 | 1 | 2> = { logs: 0, spans: 1, metrics: 2 };
const SIGNALS: readonly AckSignal[] = ['logs', 'spans', 'metrics'];

export interface Ack {
  /** One more record of `signal` derived from the batch is on its way. */
  hold(signal: AckSignal): void;
  /** A record of `signal` left the bridge (exported, or dropped and counted). */
  release(signal: AckSignal): void;
  /** The batch is fully processed: nothing more will be derived from it. */
  seal(): void;
  /**
   * Whether records of `signal` are still to be derived (until the seal): false for a signal a
   * replayed batch already delivered before a restart, which processing then leaves out.
   */
  owes(signal: AckSignal): boolean;
}

/** The Ack of a batch nobody waits for (a stream message): every call does nothing. */
export const NO_ACK: Ack = Object.freeze({ hold() {}, release() {}, seal() {}, owes: () => true });

export interface SettleListener {
  /** Each signal once, when the batch is sealed and no record of that signal is held. */
  settled(signal: AckSignal): void;
}

/**
 * One batch's Ack: a count per signal, starting at one for the seal. `owed` leaves out signals a
 * replayed batch no longer owes: they start settled, and the listener, which knows that, is not
 * told again.
 */
export class BatchAck implements Ack {
  private readonly pending = [1, 1, 1];

  constructor(
    private readonly listener: SettleListener,
    owed?: Readonly<Record<AckSignal, boolean>>,
  ) {
    if (owed) for (const s of SIGNALS) if (!owed[s]) this.pending[INDEX[s]] = 0;
  }

  hold(signal: AckSignal): void {
    this.pending[INDEX[signal]]! += 1;
  }

  release(signal: AckSignal): void {
    const i = INDEX[signal];
    if (--this.pending[i]! === 0) this.listener.settled(signal);
  }

  seal(): void {
    for (const s of SIGNALS) if (this.pending[INDEX[s]]! > 0) this.release(s);
  }

  owes(signal: AckSignal): boolean {
    return this.pending[INDEX[signal]]! > 0;
  }
}

/** Several batches' Acks held by one record (a session span built from facts of several deliveries). */
export function releaseAll(acks: readonly Ack[], signal: AckSignal): void {
  for (const a of acks) a.release(signal);
}
