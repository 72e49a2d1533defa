import { createHash } from 'node:crypto';

export interface DedupOptions {
  /** Seconds a seen event is remembered; 0 turns deduplication off. */
  windowSeconds: number;
  /** Most events remembered at once; the oldest are forgotten first beyond it. */
  maxEntries: number;
  /** Top-level event fields that differ between deliveries of one event (org vs site webhook). */
  ignoreFields: readonly string[];
}

export interface DedupVerdict {
  /** The events not seen before, in their original order. */
  kept: unknown[];
  /** How many were repeats (of an earlier delivery or of a sibling in this one). */
  dropped: number;
  /** Record the kept events as seen; call once the delivery is accepted. */
  remember(): void;
  /** Undo `remember` when the accepted delivery could not be kept after all. */
  forget(): void;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with object keys sorted, so bodies that differ only in key order compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Drops repeats of the same event within a time window. Mist delivers an event once per webhook
 * that selects its topic, so an org-level and a site-level webhook send it twice, possibly
 * aggregated with different neighbours and with delivery-specific fields; the identity of an
 * event is its topic plus its fields minus those. Memory is bounded by `maxEntries` digests.
 */
export class EventDeduplicator {
  // digest → expiry (ms). Every entry lives for the same window, so insertion order is expiry order.
  private readonly seen = new Map<string, number>();
  private readonly ignore: ReadonlySet<string>;

  constructor(
    private readonly options: DedupOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.ignore = new Set(options.ignoreFields);
  }

  get enabled(): boolean {
    return this.options.windowSeconds > 0;
  }

  /** Events currently remembered. */
  get size(): number {
    return this.seen.size;
  }

  check(topic: string, events: readonly unknown[]): DedupVerdict {
    if (!this.enabled) return { kept: [...events], dropped: 0, remember: () => undefined, forget: () => undefined };
    const now = this.now();
    this.evict(now);
    const kept: unknown[] = [];
    const keys: string[] = [];
    const inThisDelivery = new Set<string>();
    for (const event of events) {
      const key = this.key(topic, event);
      const expiry = this.seen.get(key);
      if ((expiry !== undefined && expiry > now) || inThisDelivery.has(key)) continue;
      inThisDelivery.add(key);
      kept.push(event);
      keys.push(key);
    }
    const expiresAt = now + this.options.windowSeconds * 1000;
    return {
      kept,
      dropped: events.length - kept.length,
      remember: () => {
        for (const key of keys) {
          this.seen.delete(key);
          this.seen.set(key, expiresAt);
        }
        this.evict(now);
      },
      forget: () => {
        for (const key of keys) this.seen.delete(key);
      },
    };
  }

  private key(topic: string, event: unknown): string {
    let text: string;
    if (isRecord(event)) {
      const keys = Object.keys(event)
        .filter((k) => !this.ignore.has(k))
        .sort();
      text = '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(event[k])).join(',') + '}';
    } else {
      text = canonical(event);
    }
    return createHash('sha256').update(topic).update('\n').update(text).digest('base64');
  }

  private evict(now: number): void {
    for (const [key, expiry] of this.seen) {
      if (expiry > now && this.seen.size <= this.options.maxEntries) break;
      this.seen.delete(key);
    }
  }
}
