import type { Batch, BatchConsumer, Receipt } from '../sources/contract.js';
import type { DedupVerdict, EventDeduplicator } from './window.js';

/**
 * The deduplication windows of the sources that opt in, one each: one source's volume (a stream)
 * cannot evict another's memory (the webhook's org/site repeats).
 */
export class SourceWindows {
  constructor(private readonly windows: ReadonlyMap<string, EventDeduplicator>) {}

  /** The verdict on a batch's events, or undefined when its source does not deduplicate. */
  check(batch: Pick<Batch, 'source' | 'kind' | 'events'>): DedupVerdict | undefined {
    const window = this.windows.get(batch.source);
    return window?.enabled ? window.check(batch.kind, batch.events) : undefined;
  }

  /** A batch replayed after a restart: its events count as seen again. */
  remember(batch: Pick<Batch, 'source' | 'kind' | 'events'>): void {
    this.check(batch)?.remember();
  }

  /** Events remembered, over every window (for /metrics). */
  get size(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.size;
    return n;
  }
}

/**
 * The deduplication stage: drops events seen within their source's window before the next stage
 * keeps anything, so a repeat costs no disk and the sender's answer can count it. An event is
 * remembered as soon as the next stage has taken its batch in hand (the journal's group has it),
 * and forgotten again if that stage then refuses it: a refused copy must not make the other
 * webhook's copy look like a repeat.
 */
export class DedupStage implements BatchConsumer {
  constructor(
    private readonly windows: SourceWindows,
    private readonly next: BatchConsumer,
  ) {}

  async consume(batch: Batch): Promise<Receipt> {
    const verdict = this.windows.check(batch);
    if (verdict === undefined) return this.next.consume(batch);
    if (verdict.kept.length === 0) return { status: 'accepted', events: 0, duplicates: verdict.dropped, failedEvents: 0 };
    // With events taken out, the bytes as received no longer say what the batch holds.
    const kept = verdict.dropped === 0 ? batch : { ...batch, events: verdict.kept, ...(batch.durable && { durable: { codec: batch.durable.codec } }) };
    const receipt = this.next.consume(kept);
    verdict.remember();
    const answered = await receipt.catch((err: unknown) => {
      verdict.forget();
      throw err;
    });
    if (answered.status === 'refused') {
      verdict.forget();
      return answered;
    }
    return { ...answered, duplicates: answered.duplicates + verdict.dropped };
  }

  refusal() {
    return this.next.refusal?.();
  }
}
