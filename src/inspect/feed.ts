import { randomUUID } from 'node:crypto';
import { type Became, type BodyView, bodyView, cut, type EventView, eventView, failedEventView, SHORT_TEXT } from './views.js';

/**
 * What the inspector page shows: the last N deliveries and stream messages, each with what its
 * events became. The bridge holds an `Inspector` only when the page is on and calls it with
 * optional chaining (`inspector?.begin(...)`, `inspection?.event(...)`), so when the page is off
 * no argument is even built.
 */

/** The source a batch came from, as batches name it: `webhook`, `stream`, `sle`. */
export type InspectSource = string;

/** The webhook signature check, as the page shows it; never a secret, at most its position. */
export type SignatureCheck =
  /** `secretIndex`: which of `security.secrets` matched (0 = the first), while rotating. */
  | { verdict: 'good'; scheme: 'v2' | 'sha1'; secretIndex?: number }
  | { verdict: 'wrong'; scheme: 'v2' | 'sha1' }
  | { verdict: 'missing' }
  /** Only the SHA-1 header was sent and `security.allowSha1` is off. */
  | { verdict: 'sha1_refused' }
  /** No secret is configured and `security.allowUnsigned` is on. */
  | { verdict: 'unsigned' };

export interface Arrival {
  source: InspectSource;
  /** The webhook topic, the stream channel or the polled endpoint; absent when refused before it was read. */
  topic?: string;
  /** Who sent it: the peer address for the webhook (and X-Forwarded-For), the server for a stream. */
  sender?: string;
  signature?: SignatureCheck;
  /** Events the batch holds, once decoded. */
  events?: number;
  /** The body as received (after decompression). Only its first `maxBodyBytes` are kept. */
  body?: Uint8Array | string;
  /** Epoch ms; now when absent. */
  receivedAt?: number;
  /**
   * Handed on from the journal rather than as it arrived: `restart`, kept through a restart of
   * the bridge; `backlog`, kept while the export backlog was full (its live entry said deferred).
   */
  fromJournal?: 'restart' | 'backlog';
}

export interface Outcome {
  /** The HTTP status answered (webhook). */
  status?: number;
  /** Events dropped as repeats of ones already received. */
  duplicates?: number;
  /** Why the batch was refused after it was read (e.g. the journal is full). */
  refused?: string;
  /** Accepted and kept in the journal, to be mapped later: its events show in a later entry `fromJournal`. */
  deferred?: boolean;
}

/** One batch on its way through the bridge; it appears on the page when `finish` is called. */
export interface Inspection {
  /** What one event became, in the order processing maps them. */
  event(event: unknown, became: Became): void;
  /** Mapping this event threw; its siblings go on. */
  eventFailed(event: unknown, error: unknown): void;
  /** The source is done with the batch (the webhook has its answer): it is shown as it is now. Only the first call counts. */
  finish(outcome?: Outcome): void;
}

/** What the bridge calls. */
export interface Inspector {
  /** A decoded batch about to be processed. */
  begin(arrival: Arrival): Inspection;
  /** A delivery refused before its events were processed (signature, size, not an envelope, overload). */
  refused(arrival: Arrival, status: number, reason: string): void;
}

/** An entry as the page receives it (JSON). */
export interface InspectEntry {
  /** 1, 2, 3... in the order entries were finished, per feed (per bridge process). */
  id: number;
  receivedAt: number;
  source: InspectSource;
  topic: string | null;
  sender: string | null;
  signature: SignatureCheck | null;
  status: number | null;
  events: number | null;
  duplicates: number;
  refused: string | null;
  deferred: boolean;
  /** Set when handed on from the journal (see `Arrival.fromJournal`); `mappedAt` epoch ms. */
  fromJournal: { reason: 'restart' | 'backlog'; mappedAt: number } | null;
  body: BodyView | null;
  became: EventView[];
  /** Events whose outcome is not shown: past the entry's share of memory. */
  becameOmitted: number;
}

export interface FeedOptions {
  maxEntries: number;
  maxBodyBytes: number;
}

/** Called on a new entry and on the close. */
type Watcher = () => void;

/** The last `capacity` entries of one source, oldest first, in the order of their ids. */
class Ring {
  private readonly items: InspectEntry[] = [];
  /** Where the oldest is, once the ring is full. */
  private head = 0;

  constructor(private readonly capacity: number) {}

  /** Adds the newest entry; true when it pushed the oldest out. */
  push(entry: InspectEntry): boolean {
    if (this.items.length < this.capacity) {
      this.items.push(entry);
      return false;
    }
    this.items[this.head] = entry;
    this.head = (this.head + 1) % this.capacity;
    return true;
  }

  /** The oldest entry with an id above `id`. */
  after(id: number): InspectEntry | undefined {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).id <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.items.length ? this.at(lo) : undefined;
  }

  private at(i: number): InspectEntry {
    return this.items[(this.head + i) % this.items.length]!;
  }
}

/**
 * The entries, the last N of each source (and of each source's batches from the journal): a busy
 * stream cannot push the webhook's deliveries (a ping) out of view. Subscribers do not get copies: each reads the rings from its own cursor
 * (src/inspect/events.ts), so a slow page costs no memory; what it falls behind by is dropped
 * from its view, and the gap in ids says how much.
 */
export class InspectFeed implements Inspector {
  /** Changes at every start: a page that reconnects learns whether the bridge restarted. */
  readonly instance = randomUUID();
  /** Entries kept per source. */
  readonly maxEntries: number;
  private readonly maxBodyBytes: number;
  private readonly rings = new Map<string, Ring>();
  private lastId = 0;
  private droppedCount = 0;
  private readonly watchers = new Set<Watcher>();
  private isClosed = false;

  constructor(options: FeedOptions) {
    this.maxEntries = options.maxEntries;
    this.maxBodyBytes = options.maxBodyBytes;
  }

  /** Entries pushed out of their ring by newer ones. */
  get dropped(): number {
    return this.droppedCount;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  begin(arrival: Arrival): Inspection {
    return new BatchInspection(this, this.entry(arrival), this.maxBodyBytes);
  }

  refused(arrival: Arrival, status: number, reason: string): void {
    const entry = this.entry(arrival);
    entry.status = status;
    entry.refused = cut(reason, 2_000);
    this.publish(entry);
  }

  /** The oldest entry, of any source, with an id above `id`. */
  after(id: number): InspectEntry | undefined {
    let next: InspectEntry | undefined;
    for (const ring of this.rings.values()) {
      const candidate = ring.after(id);
      if (candidate && (next === undefined || candidate.id < next.id)) next = candidate;
    }
    return next;
  }

  get(id: number): InspectEntry | undefined {
    const entry = this.after(id - 1);
    return entry?.id === id ? entry : undefined;
  }

  watch(watcher: Watcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Ends every subscriber's stream (the bridge is stopping); pages reconnect to the next start. */
  close(): void {
    this.isClosed = true;
    this.notify();
  }

  /** @internal */
  publish(entry: InspectEntry): void {
    entry.id = ++this.lastId;
    // A long replay from the journal keeps to its own ring too, out of the live deliveries' way.
    const key = entry.fromJournal ? `${entry.source} from the journal` : entry.source;
    let ring = this.rings.get(key);
    if (ring === undefined) {
      ring = new Ring(this.maxEntries);
      this.rings.set(key, ring);
    }
    if (ring.push(entry)) this.droppedCount += 1;
    this.notify();
  }

  private notify(): void {
    for (const watcher of this.watchers) watcher();
  }

  private entry(arrival: Arrival): InspectEntry {
    return {
      id: 0,
      receivedAt: arrival.receivedAt ?? Date.now(),
      source: arrival.source,
      topic: arrival.topic === undefined ? null : cut(arrival.topic, SHORT_TEXT),
      sender: arrival.sender === undefined ? null : cut(arrival.sender, SHORT_TEXT),
      signature: arrival.signature === undefined ? null : copySignature(arrival.signature),
      status: null,
      events: arrival.events ?? null,
      duplicates: 0,
      refused: null,
      deferred: false,
      fromJournal: arrival.fromJournal === undefined ? null : { reason: arrival.fromJournal, mappedAt: Date.now() },
      body: arrival.body === undefined ? null : bodyView(arrival.body, this.maxBodyBytes),
      became: [],
      becameOmitted: 0,
    };
  }
}

/** Only the documented fields: the object handed in may carry more. */
function copySignature(s: SignatureCheck): SignatureCheck {
  switch (s.verdict) {
    case 'good':
      return s.secretIndex === undefined ? { verdict: 'good', scheme: s.scheme } : { verdict: 'good', scheme: s.scheme, secretIndex: s.secretIndex };
    case 'wrong':
      return { verdict: 'wrong', scheme: s.scheme };
    default:
      return { verdict: s.verdict };
  }
}

/** Events per entry whose outcome is kept; the rest are counted. */
const MAX_EVENTS = 200;

class BatchInspection implements Inspection {
  private published = false;
  /** Characters of event outcomes (as JSON) this entry may still hold: as many as its body's bytes. */
  private budget: number;

  constructor(
    private readonly feed: InspectFeed,
    private readonly entry: InspectEntry,
    maxBodyBytes: number,
  ) {
    this.budget = maxBodyBytes;
  }

  event(event: unknown, became: Became): void {
    this.add(() => eventView(event, became));
  }

  eventFailed(event: unknown, error: unknown): void {
    this.add(() => failedEventView(event, error));
  }

  finish(outcome: Outcome = {}): void {
    if (this.published) return;
    this.published = true;
    const { entry } = this;
    entry.status = outcome.status ?? null;
    entry.duplicates = outcome.duplicates ?? 0;
    entry.refused = outcome.refused === undefined ? null : cut(outcome.refused, 2_000);
    entry.deferred = outcome.deferred ?? false;
    this.feed.publish(entry);
  }

  private add(view: () => EventView): void {
    // The page was sent the entry as it was when finished.
    if (this.published) return;
    const { entry } = this;
    let v: EventView | undefined;
    try {
      v = this.budget > 0 && entry.became.length < MAX_EVENTS ? view() : undefined;
    } catch (err) {
      // Whatever the inspector makes of an event must not disturb its processing.
      v = failedEventView(undefined, new Error(`the inspector could not show this event: ${(err as Error).message}`));
    }
    const size = v === undefined ? Infinity : JSON.stringify(v).length;
    // An event that does not fit is counted, not shown: the entry never outgrows its share.
    if (v !== undefined && size <= this.budget) {
      this.budget -= size;
      entry.became.push(v);
    } else {
      entry.becameOmitted += 1;
    }
  }
}
