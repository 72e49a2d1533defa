import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventDeduplicator } from '../dedup/window.js';
import type { Envelope } from '../envelope/decode.js';
import type { Logger } from '../log/logger.js';
import type { Pipeline } from '../pipeline.js';
import type { SelfTelemetry } from '../self/telemetry.js';
import { DurableIntake } from './intake.js';
import { Journal } from './journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** The part of the pipeline the intake drives: what it was handed, and a backlog the test sets. */
function recordingPipeline() {
  const mapped: number[] = [];
  const pipeline = {
    backlog: 0,
    accept(envelope: Envelope, _receivedNs: bigint, seq: number) {
      mapped.push(seq);
      return { events: envelope.events.length, failedEvents: 0 };
    },
    exportedThrough: () => ({ logs: 0, spans: 0, metrics: 0 }),
    shutdown: async () => ({ flushed: true, exported: { logs: 0, spans: 0, metrics: 0 } }),
  };
  return { mapped, pipeline };
}

describe('DurableIntake', () => {
  // On disk, commits come back from the writer thread after the rows are already readable, so a
  // catch-up can read and map a row whose own delivery has not heard back yet. Each delivery
  // must still be mapped once, in journal order.
  it('maps every delivery once, in order, when a catch-up ends while commits are in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-test-'));
    dirs.push(dir);
    const journal = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    const { mapped, pipeline } = recordingPipeline();
    const intake = new DurableIntake({
      journal,
      dedup: new EventDeduplicator({ windowSeconds: 0, maxEntries: 0, ignoreFields: [] }),
      pipeline: pipeline as unknown as Pipeline,
      maxQueuedRecords: 10,
      telemetry: { events() {}, dropped() {} } as unknown as SelfTelemetry,
      log: quiet,
    });
    const seqs: number[] = [];
    let n = 0;
    const send = async (): Promise<void> => {
      const i = n++;
      const body = Buffer.from(JSON.stringify({ topic: 't', events: [{ i }] }));
      const admission = await intake.accept({ topic: 't', events: [{ i }] }, body, 1n);
      expect(admission.status).toBe('accepted');
    };
    // Spill: a full backlog keeps deliveries in the journal only...
    pipeline.backlog = 100;
    await Promise.all(Array.from({ length: 200 }, send));
    expect(intake.spilled).toBe(true);
    // ...then the backlog drains while 32 senders keep delivering, so the catch-up reaches the
    // end of the journal many times over with commits on their way back.
    pipeline.backlog = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let k = 0; k < 60; k++) await send();
      }),
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const row of journal.read(0, 100_000)) seqs.push(row.seq);
    await intake.shutdown(Date.now() + 1000);
    expect(seqs).toHaveLength(200 + 32 * 60);
    expect(mapped).toEqual(seqs);
  });

  it('replays rows by their source and codec: one it has no codec for is dropped and counted, the rest mapped in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-test-'));
    dirs.push(dir);
    const journal = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    const envelope = (i: number) => Buffer.from(JSON.stringify({ topic: 't', events: [{ i }] }));
    const a = await journal.append({ source: 'webhook', codec: 'mist-envelope', receivedNs: 1n, body: envelope(1) });
    await journal.append({ source: 'stream', codec: 'mist-stream-frame', receivedNs: 2n, body: Buffer.from('{}') });
    const c = await journal.append({ source: 'webhook', codec: 'mist-envelope', receivedNs: 3n, body: envelope(3) });
    await journal.close();

    const reopened = new Journal({ dir, maxBytes: 1 << 30, synchronous: 'normal', log: quiet });
    const { mapped, pipeline } = recordingPipeline();
    const dropped: string[] = [];
    const intake = new DurableIntake({
      journal: reopened,
      dedup: new EventDeduplicator({ windowSeconds: 0, maxEntries: 0, ignoreFields: [] }),
      pipeline: pipeline as unknown as Pipeline,
      maxQueuedRecords: 10,
      telemetry: { events() {}, dropped: (what: string, reason: string) => dropped.push(`${what}/${reason}`) } as unknown as SelfTelemetry,
      log: quiet,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(mapped).toEqual([a, c]);
    expect(dropped).toEqual(['delivery/undecodable_journal_row']);
    expect(intake.spilled).toBe(false);
    await intake.shutdown(Date.now() + 1000);
  });
});
