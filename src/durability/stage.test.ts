import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/support/temp-dirs.js';
import type { Logger } from '../log/logger.js';
import type { Batch, BatchConsumer, Receipt } from '../sources/contract.js';
import { ENVELOPE_CODEC } from '../sources/webhook/codec.js';
import { Journal } from './journal.js';
import { DurableStage } from './stage.js';

const tempDir = useTempDirs('stage-test-');

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** Processing stand-in: the events it was handed, in order; each batch's acknowledgement settled at once, or never. */
function recordingConsumer(settle = true) {
  const handed: unknown[] = [];
  const next: BatchConsumer = {
    async consume(batch: Batch): Promise<Receipt> {
      handed.push(...batch.events);
      if (settle) batch.ack?.seal();
      return { status: 'accepted', events: batch.events.length, duplicates: 0, failedEvents: 0 };
    },
  };
  return { handed, next };
}

/** Processing stand-in whose records hold each batch's logs and metrics until the test releases them. */
function holdingConsumer() {
  const held: NonNullable<Batch['ack']>[] = [];
  const next: BatchConsumer = {
    async consume(batch) {
      batch.ack!.hold('logs');
      batch.ack!.hold('metrics');
      batch.ack!.seal();
      held.push(batch.ack!);
      return { status: 'accepted', events: 1, duplicates: 0, failedEvents: 0 };
    },
  };
  return { held, next };
}

function stage(journal: Journal, next: BatchConsumer, backlog: { n: number }, dropped: string[] = []) {
  return new DurableStage({
    journal,
    next,
    codecs: [ENVELOPE_CODEC],
    backlog: () => backlog.n,
    maxQueuedRecords: 10,
    replayed: () => {},
    telemetry: { dropped: (what, reason) => dropped.push(`${what}/${reason}`) },
    log: quiet,
  });
}

const delivery = (i: number): Batch => ({
  source: 'webhook',
  kind: 't',
  events: [{ i }],
  receivedNs: 1n,
  durable: { codec: ENVELOPE_CODEC.name, raw: Buffer.from(JSON.stringify({ topic: 't', events: [{ i }] })) },
});

describe('DurableStage', () => {
  // On disk, commits come back from the writer thread after the rows are already readable, so a
  // catch-up can read and hand on a row whose own delivery has not heard back yet. Each delivery
  // must still be handed on once, in journal order.
  it('hands every delivery on once, in order, when a catch-up ends while commits are in flight', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    // Nothing is exported, so every row stays to be compared with what was handed on.
    const { handed, next } = recordingConsumer(false);
    const backlog = { n: 0 };
    const durable = stage(journal, next, backlog);
    durable.start();
    let n = 0;
    const send = async (): Promise<void> => {
      const receipt = await durable.consume(delivery(n++));
      expect(receipt.status).toBe('accepted');
    };
    // Spill: a full backlog keeps deliveries in the journal only...
    backlog.n = 100;
    await Promise.all(Array.from({ length: 200 }, send));
    expect(durable.spilled).toBe(true);
    // ...then the backlog drains while 32 senders keep delivering, so the catch-up reaches the
    // end of the journal many times over with commits on their way back.
    backlog.n = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let k = 0; k < 60; k++) await send();
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const journaled = journal.read(0, 100_000).map((row) => (ENVELOPE_CODEC.decode(row.body).events[0] as { i: number }).i);
    await durable.close();
    expect(journaled).toHaveLength(200 + 32 * 60);
    expect(handed.map((e) => (e as { i: number }).i)).toEqual(journaled);
  });

  it('replays rows by their source and codec: one it has no codec for is dropped and counted, the rest handed on in order', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    const envelope = (i: number) => Buffer.from(JSON.stringify({ topic: 't', events: [{ i }] }));
    await journal.append({ source: 'webhook', codec: 'mist-envelope', receivedNs: 1n, body: envelope(1) });
    await journal.append({ source: 'stream', codec: 'mist-stream-frame', receivedNs: 2n, body: Buffer.from('{}') });
    await journal.append({ source: 'webhook', codec: 'mist-envelope', receivedNs: 3n, body: envelope(3) });
    await journal.close();

    const reopened = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    const { handed, next } = recordingConsumer();
    const dropped: string[] = [];
    const durable = stage(reopened, next, { n: 0 }, dropped);
    durable.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(handed).toEqual([{ i: 1 }, { i: 3 }]);
    expect(dropped).toEqual(['delivery/undecodable_journal_row']);
    expect(durable.spilled).toBe(false);
    // Every row handed on was settled at once: released, nothing kept.
    expect(await durable.close()).toBe(0);
  });

  it('keeps a row until every signal of its acknowledgement is settled, and stores how far each got', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    const { held, next } = holdingConsumer();
    const durable = stage(journal, next, { n: 0 });
    durable.start();
    for (let i = 0; i < 3; i++) await durable.consume(delivery(i));
    held[0]!.release('logs');
    held[1]!.release('logs');
    held[0]!.release('metrics');
    await new Promise((r) => setTimeout(r, 400));
    // Row 1 is delivered; row 2 has its logs exported but not its metrics; row 3 owes both.
    expect(journal.count).toBe(2);
    expect(journal.watermarks()).toEqual({ logs: 2, spans: 3, metrics: 1 });
    expect(await durable.close()).toBe(2);
  });

  // Rows owing metrics wait a whole collection interval while logs and spans settle at once; how
  // far each signal got is tracked per signal, also across the compaction of the rows behind them.
  it('tracks each signal separately over thousands of rows, before and after the settled ones are dropped', async () => {
    const dir = tempDir();
    const journal = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    const { held, next } = holdingConsumer();
    const durable = stage(journal, next, { n: 0 });
    durable.start();
    for (let i = 0; i < 3000; i++) await durable.consume(delivery(i));
    for (const ack of held) ack.release('logs');
    for (const ack of held.slice(0, 2000)) ack.release('metrics');
    await new Promise((r) => setTimeout(r, 400));
    expect(journal.watermarks()).toEqual({ logs: 3000, spans: 3000, metrics: 2000 });
    expect(journal.count).toBe(1000);
    for (const ack of held.slice(2000, 2600)) ack.release('metrics');
    await new Promise((r) => setTimeout(r, 400));
    expect(journal.watermarks()).toEqual({ logs: 3000, spans: 3000, metrics: 2600 });
    expect(journal.count).toBe(400);
    for (let i = 3000; i < 3010; i++) await durable.consume(delivery(i));
    for (const ack of held.slice(2600, 3000)) ack.release('metrics');
    await new Promise((r) => setTimeout(r, 400));
    // The ten new rows owe their logs: nothing past row 3000 is released.
    expect(journal.watermarks()).toEqual({ logs: 3000, spans: 3010, metrics: 3000 });
    expect(journal.count).toBe(10);
    for (const ack of held.slice(3000)) {
      ack.release('logs');
      ack.release('metrics');
    }
    expect(await durable.close()).toBe(0);
  });
});
