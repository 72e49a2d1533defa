import type { Ack } from '../acks/ack.js';
import type { MappedEvent } from '../mapping/types.js';

/**
 * The contract every way Mist data comes in follows (webhook, WebSocket stream, REST poll): a
 * source turns what Mist sends into batches and hands them to the next stage, which it is given
 * when it is built. Everything after a source works on batches and knows no source.
 */

/** One unit of what a source received: a webhook delivery, a stream message, a poll's page. */
export interface Batch {
  /** Which source: `webhook`, `stream`, `sle`. Mapping and deduplication are keyed by it. */
  source: string;
  /** Which kind of record, within the source: the webhook topic, the stream channel's kind
   * (`stats/devices`), the poll family. Selects the mapping. */
  kind: string;
  /** The decoded events, each one object as Mist sent it. */
  events: readonly unknown[];
  /** When the bridge received it (epoch ns). */
  receivedNs: bigint;
  /**
   * Values that hold for every event and come from outside them, as mapping attributes without
   * their prefix (a stream message's `site_id`, which AP messages do not carry, from its channel).
   */
  context?: Readonly<Record<string, string>>;
  /**
   * For a source whose batches must survive a restart (it has told a sender "accepted"): the codec
   * that turns the batch into bytes and back (see `Codec`), and the bytes as received when they
   * still say exactly what `events` hold. Without a codec a batch is not kept anywhere.
   */
  durable?: { codec: string; raw?: Uint8Array };
  /** Who wants to learn that everything derived from this batch left the bridge (see src/acks). */
  ack?: Ack;
  /** Someone watching this batch go through processing (the inspector page, when it is on). */
  observer?: BatchObserver;
}

/** Told what each event of a batch became. Never allowed to disturb processing: it must not throw. */
export interface BatchObserver {
  event(event: unknown, became: MappedEvent): void;
  eventFailed(event: unknown, error: unknown): void;
}

/** A stage's "not now": the sender should come back after `retryAfterSeconds`. */
export interface Refusal {
  reason: string;
  retryAfterSeconds: number;
}

/** What the stages after a source made of a batch, as far as the source's sender is concerned. */
export type Receipt =
  | {
      status: 'accepted';
      /** Events kept (after duplicates were taken out). */
      events: number;
      duplicates: number;
      /** Events whose mapping failed (each logged and counted). */
      failedEvents: number;
      /** Kept to be handed on later (from the journal, as the export backlog drains): none of it is mapped yet. */
      deferred?: boolean;
    }
  | ({ status: 'refused' } & Refusal);

/** A stage that takes batches: deduplication, durability, processing. */
export interface BatchConsumer {
  consume(batch: Batch): Promise<Receipt>;
  /** Asked before a batch is even read: why nothing can be taken now (the journal is full), if so. */
  refusal?(): Refusal | undefined;
}

/**
 * Turns one source's batches into bytes and back, so a durable stage can keep and replay them
 * without knowing the source. `decode(encode(b))` gives back `b`'s kind, events and context.
 */
export interface Codec {
  readonly name: string;
  readonly source: string;
  encode(batch: Pick<Batch, 'kind' | 'events' | 'context'>): Uint8Array;
  decode(bytes: Uint8Array): Pick<Batch, 'kind' | 'events' | 'context'>;
}

/** A way data comes in. Built with the stage it hands batches to. */
export interface Source {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking data and finish what is in hand by `deadline` (epoch ms). */
  stop(deadline: number): Promise<void>;
  /** Whether it is taking data as it should (for /readyz). */
  ready(): boolean;
}
