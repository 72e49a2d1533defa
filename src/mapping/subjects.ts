/**
 * What a mapping file's `subject.attributes` remember per subject: an event that lacks one of them
 * (an AP's "basic" stats message carries no name, type or model) takes the subject's last known
 * value, so the device's series keep the identity its "full" message gave them.
 */

export type Scalar = string | number | boolean;

interface Remembered {
  values: (Scalar | undefined)[];
  seenNs: bigint;
  ttlNs: bigint;
}

// Forgotten subjects are looked for this often (by receipt time), not on every event.
const SWEEP_EVERY_NS = 60_000_000_000n;

export class SubjectMemory {
  private readonly subjects = new Map<string, Remembered>();
  private sweptNs = 0n;

  get size(): number {
    return this.subjects.size;
  }

  /**
   * This event's values, completed with the subject's last known ones; the array returned is the
   * subject's own (valid until its next event). A subject silent for longer than its TTL is
   * forgotten.
   */
  recall(key: string, fresh: readonly (Scalar | undefined)[], receivedNs: bigint, ttlNs: bigint): readonly (Scalar | undefined)[] {
    if (receivedNs - this.sweptNs >= SWEEP_EVERY_NS) this.sweep(receivedNs);
    let entry = this.subjects.get(key);
    if (entry === undefined || receivedNs - entry.seenNs > entry.ttlNs) {
      entry = { values: [...fresh], seenNs: receivedNs, ttlNs };
      this.subjects.set(key, entry);
      return entry.values;
    }
    for (let i = 0; i < fresh.length; i++) if (fresh[i] !== undefined) entry.values[i] = fresh[i];
    entry.seenNs = receivedNs;
    entry.ttlNs = ttlNs;
    return entry.values;
  }

  private sweep(receivedNs: bigint): void {
    this.sweptNs = receivedNs;
    for (const [key, entry] of this.subjects) if (receivedNs - entry.seenNs > entry.ttlNs) this.subjects.delete(key);
  }
}
