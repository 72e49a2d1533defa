/**
 * What a mapping file's `subject.attributes` remember per subject: an event that lacks one of them
 * (an AP's "basic" stats message carries no name, type or model) takes the subject's last known
 * value, so the device's series keep the identity its "full" message gave them.
 *
 * Subjects with the same attributes share one record of them (the clients of one site, SSID and
 * band): the memory held is a reference per subject, not a copy.
 */
import type { MetricAttributes } from './types.js';

export type Scalar = string | number | boolean;

/** A set of subject attributes: never changed once made (points keep references to it). */
export interface AttributeRecord {
  values: readonly (Scalar | undefined)[];
  attributes: MetricAttributes;
  /** `attributes` as a map key. */
  key: string;
}

/** Times as numbers, written in place: a `bigint` is a new object at every event, which the
 * subject keeps until its next one, long enough to fill V8's old generation (BENCHMARKS.md).
 * Nanoseconds since 1970 as a double are exact to a quarter of a microsecond, ample for a TTL. */
interface Remembered {
  record: AttributeRecord;
  seenNs: number;
  ttlNs: number;
}

// Forgotten subjects are looked for this often (by receipt time), not on every event.
const SWEEP_EVERY_NS = 60_000_000_000;

function keyOf(values: readonly (Scalar | undefined)[]): string {
  let key = '';
  for (const v of values) key += v === undefined ? '\u0002' : `${typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b'}${String(v)}\u0002`;
  return key;
}

export class SubjectMemory {
  private readonly subjects = new Map<string, Remembered>();
  /** Records in use, by key; rebuilt from the subjects at every sweep. */
  private records = new Map<string, AttributeRecord>();
  private sweptNs = 0;
  private readonly scratch: (Scalar | undefined)[];

  /** `names`: the attribute names of the values, in their order. */
  constructor(private readonly names: readonly string[]) {
    this.scratch = new Array<Scalar | undefined>(names.length);
  }

  get size(): number {
    return this.subjects.size;
  }

  /**
   * The subject's attributes after this event: its values, completed with the subject's last
   * known ones. A subject silent for longer than its TTL is forgotten.
   */
  recall(key: string, fresh: readonly (Scalar | undefined)[], receivedBigNs: bigint, ttlBigNs: bigint): AttributeRecord {
    const receivedNs = Number(receivedBigNs);
    const ttlNs = Number(ttlBigNs);
    if (receivedNs - this.sweptNs >= SWEEP_EVERY_NS) this.sweep(receivedNs);
    let entry = this.subjects.get(key);
    if (entry !== undefined && receivedNs - entry.seenNs > entry.ttlNs) entry = undefined;
    const known = entry?.record.values;
    let same = known !== undefined;
    for (let i = 0; i < fresh.length; i++) {
      const v = fresh[i] ?? known?.[i];
      this.scratch[i] = v;
      if (v !== known?.[i]) same = false;
    }
    const record = same ? entry!.record : this.record(this.scratch);
    if (entry === undefined) this.subjects.set(key, { record, seenNs: receivedNs, ttlNs });
    else {
      entry.record = record;
      entry.seenNs = receivedNs;
      entry.ttlNs = ttlNs;
    }
    return record;
  }

  private record(values: readonly (Scalar | undefined)[]): AttributeRecord {
    const key = keyOf(values);
    let record = this.records.get(key);
    if (record !== undefined) return record;
    const attributes: MetricAttributes = {};
    values.forEach((v, i) => {
      if (v !== undefined) attributes[this.names[i]!] = v;
    });
    record = { values: [...values], attributes, key };
    this.records.set(key, record);
    return record;
  }

  private sweep(receivedNs: number): void {
    this.sweptNs = receivedNs;
    const records = new Map<string, AttributeRecord>();
    for (const [key, entry] of this.subjects) {
      if (receivedNs - entry.seenNs > entry.ttlNs) this.subjects.delete(key);
      else records.set(entry.record.key, entry.record);
    }
    this.records = records;
  }
}
