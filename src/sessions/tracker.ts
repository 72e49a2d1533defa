import type { Ack } from '../acks/ack.js';
import type { Logger } from '../log/logger.js';
import type { TraceContribution } from '../mapping/types.js';
import type { SpanEmitter } from '../signals/emit.js';
import { type Fact, parseContribution } from './facts.js';
import { Interner } from './held.js';
import type { ClientRef } from './ids.js';
import { DIMENSIONS, Session, type SpanPlan } from './session.js';

export interface SessionLimits {
  /** Sessions held at once (forming, open, and recently ended ones kept for deduplication). */
  maxSessions: number;
  /** An open session is ended, marked incomplete, this long after it was first heard of. */
  maxAgeMs: number;
  /** How long a session's identity stays open to late, out-of-order deliveries before its spans go out. */
  settleMs: number;
  /** NAC and DHCP events up to this long (event time) before a client's first connect belong to its session. */
  stitchWindowMs: number;
  /** How long an ended session is remembered, so redeliveries and late events are recognised. */
  retainEndedMs: number;
  /**
   * Facts waiting for their settle time, over all clients. The settle time buffers every event
   * of a busy site, so this, not the session count, bounds memory under a burst: past it the
   * client whose facts have waited longest is settled early.
   */
  maxPendingFacts: number;
}

export interface TrackerStats {
  sessions: number;
  exportedSpans: number;
  ignored: number;
  endedByMaxAge: number;
  evicted: number;
  settledEarly: number;
}

const NS_PER_MS = 1_000_000n;
// A flood of events about one client inside one settle time is cut here rather than held.
const MAX_PENDING_PER_CLIENT = 512;

// Until its first facts are placed a client has no sessions: one shared empty list (frozen, so a
// push to it would throw rather than reach every client).
const NO_SESSIONS = Object.freeze([]) as unknown as Session[];

/** One client at one site: facts waiting for their settle time (a list through `Fact.next`), and its sessions. */
class Client implements ClientRef {
  first: Fact | undefined = undefined;
  last: Fact | undefined = undefined;
  pending = 0;
  sessions: Session[] = NO_SESSIONS;

  constructor(
    readonly org: string,
    readonly site: string,
    readonly mac: string,
  ) {}

  /** The pending facts, taken off the list. */
  takePending(): Fact[] {
    const facts: Fact[] = [];
    for (let f = this.first; f !== undefined; ) {
      const next: Fact | undefined = f.next;
      f.next = undefined;
      facts.push(f);
      f = next;
    }
    this.first = this.last = undefined;
    this.pending = 0;
    return facts;
  }
}

function factTime(f: Fact): bigint {
  return f.kind === 'association' ? f.connectNs : f.timeNs;
}

// Time order, then a fixed order for equal times: the batch's result cannot depend on arrival.
const KIND_ORDER = { association: 0, auth: 1, ip: 2 } as const;
function byTime(a: Fact, b: Fact): number {
  const ta = factTime(a);
  const tb = factTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.kind !== b.kind) return KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  const ka = a.kind === 'association' ? `${a.ap}${a.disconnectNs !== undefined ? 1 : 0}` : a.kind === 'auth' ? a.type : a.ip;
  const kb = b.kind === 'association' ? `${b.ap}${b.disconnectNs !== undefined ? 1 : 0}` : b.kind === 'auth' ? b.type : b.ip;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

const NO_ACKS: readonly Ack[] = Object.freeze([]);

/**
 * Stitches trace contributions (client-join, client-sessions, client-info, nac-events) into one
 * trace per client session, held in a bounded table (README "Client session traces").
 *
 * Every fact waits `settleMs` (wall clock) from the first pending fact of its client, then the
 * client's pending facts are placed in time order: into the session whose range covers them, or
 * into new sessions. A session's children go out as soon as they are complete; its root goes out
 * `settleMs` after its final disconnect arrived (once nothing about the client is pending), or,
 * marked incomplete, at max age.
 *
 * Each fact holds its batch's acknowledgement (for spans) while it waits: whoever keeps the batch
 * (the journal) keeps it until the fact is placed and the spans its placement completed are
 * exported. A session's root, built later from what its children left in memory, holds none
 * (README "What holds across replicas", crash).
 */
export class SessionTracker {
  // Site ids are globally unique: the org adds nothing to a client's identity (it is part of the
  // trace id). Site → MAC → client: no key string to build (and hash) per event, or keep per client.
  private readonly clients = new Map<string, Map<string, Client>>();
  // Set order is recency: a client moves to the end whenever it is touched, so the first is the
  // one to evict when the table is full.
  private readonly table = new Set<Client>();
  /** Sessions, plus one per client with facts pending. */
  private count = 0;
  private readonly stats: TrackerStats = { sessions: 0, exportedSpans: 0, ignored: 0, endedByMaxAge: 0, evicted: 0, settledEarly: 0 };
  private readonly stitchWindowNs: bigint;
  private evictedSinceSweep = 0;
  private readonly interner = new Interner(DIMENSIONS);
  /** Clients with facts pending, in the order their first pending fact arrived. */
  private readonly pendingOrder = new Set<Client>();
  private pendingTotal = 0;
  private settledEarlySinceSweep = 0;
  private readonly origin: number;

  constructor(
    private readonly spans: Pick<SpanEmitter, 'emit'>,
    private readonly limits: SessionLimits,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.stitchWindowNs = BigInt(limits.stitchWindowMs) * NS_PER_MS;
    this.origin = clock();
  }

  /**
   * Wall-clock ms since this tracker started: what facts and sessions record. Epoch ms do not fit
   * a small integer, so V8 would box them (16 bytes for every fact held); these fit for 24 days.
   */
  private elapsed(): number {
    const ms = this.clock() - this.origin;
    // `| 0` hands V8 the same value as a small integer (a difference of two boxed numbers is boxed).
    return (ms | 0) === ms ? ms | 0 : ms;
  }

  get snapshot(): TrackerStats {
    return { ...this.stats, sessions: this.count };
  }

  /** Takes a contribution of the batch `ack` belongs to; the fact holds it until it is placed. */
  observe(contribution: TraceContribution, ack: Ack): void {
    const parsed = parseContribution(contribution, this.interner, this.elapsed(), ack);
    if ('problem' in parsed) {
      this.stats.ignored += 1;
      this.log.debug('trace contribution not usable for a session', { problem: parsed.problem });
      return;
    }
    const { client: ref, fact } = parsed;
    let client = this.clients.get(ref.site)?.get(ref.mac);
    if (client) {
      this.table.delete(client);
      this.table.add(client);
    } else {
      while (this.count >= this.limits.maxSessions && this.table.size > 0) this.evictOldest();
      client = new Client(ref.org, ref.site, this.interner.intern(ref.mac));
      this.table.add(client);
      let site = this.clients.get(ref.site);
      if (site === undefined) this.clients.set(ref.site, (site = new Map()));
      site.set(client.mac, client);
    }
    if (client.pending >= MAX_PENDING_PER_CLIENT) {
      this.stats.ignored += 1;
      return;
    }
    if (client.last === undefined) {
      this.count += 1;
      this.pendingOrder.add(client);
      client.first = fact;
    } else {
      client.last.next = fact;
    }
    client.last = fact;
    client.pending += 1;
    this.pendingTotal += 1;
    ack.hold('spans');
    while (this.pendingTotal > this.limits.maxPendingFacts) {
      const oldest = this.pendingOrder.values().next().value!;
      this.place(oldest, this.elapsed());
      this.stats.settledEarly += 1;
      this.settledEarlySinceSweep += 1;
    }
  }

  /**
   * Periodically: place pending facts whose settle time is over, export roots of ended sessions,
   * end those past max age, forget ended ones past retention. `final` (shutdown): place and
   * export everything held now; sessions still open keep no root, since their disconnect may yet
   * reach another instance (or this one after a restart), which derives the same root id.
   */
  sweep(final: boolean): void {
    const now = this.elapsed();
    const { settleMs, maxAgeMs, retainEndedMs } = this.limits;
    let maxAged = 0;
    for (const client of this.table) {
      const first = client.first;
      if (first !== undefined && (final || now - first.atMs >= settleMs)) this.place(client, now);
      const sessions = client.sessions;
      for (let i = sessions.length - 1; i >= 0; i--) {
        const s = sessions[i]!;
        if (s.closed) {
          if (now - s.closedMs! >= retainEndedMs) {
            sessions.splice(i, 1);
            this.count -= 1;
          }
        } else if (s.final !== undefined) {
          if (final || (now - s.endedMs! >= settleMs && client.pending === 0)) this.emit(s.end('disconnect', now));
        } else if (now - s.createdMs >= maxAgeMs) {
          this.emit(s.end('max-age', now));
          maxAged += 1;
        }
      }
      if (sessions.length === 0 && client.pending === 0) this.forget(client);
    }
    if (this.evictedSinceSweep > 0) {
      this.log.warn('session table full: the least recently active clients were ended early (sessions.maxSessions)', {
        sessions: this.evictedSinceSweep,
        maxSessions: this.limits.maxSessions,
      });
      this.evictedSinceSweep = 0;
    }
    if (this.settledEarlySinceSweep > 0) {
      this.log.warn(
        'session events arrive faster than they can wait their settle time: the longest-waiting clients were settled early (sessions.maxPendingFacts)',
        {
          clients: this.settledEarlySinceSweep,
          maxPendingFacts: this.limits.maxPendingFacts,
        },
      );
      this.settledEarlySinceSweep = 0;
    }
    if (maxAged > 0) {
      this.stats.endedByMaxAge += maxAged;
      this.log.info('client sessions ended at max age without a disconnect (marked incomplete)', { sessions: maxAged, maxAgeMs });
    }
  }

  /** Place a client's pending facts, in time order, into its sessions; export what is complete. */
  private place(client: Client, now: number): void {
    const batch = client.takePending().sort(byTime);
    this.count -= 1;
    this.pendingTotal -= batch.length;
    this.pendingOrder.delete(client);
    const formed = new Set<Session>();
    const touched = new Set<Session>();
    for (const fact of batch) {
      const { atMs } = fact;
      let session = this.locate(client.sessions, fact, formed);
      if (!session) {
        session = new Session(client, fact, atMs);
        if (client.sessions === NO_SESSIONS) client.sessions = [];
        client.sessions.push(session);
        formed.add(session);
        this.count += 1;
      }
      if (session.add(fact, atMs)) touched.add(session);
    }
    client.sessions = client.sessions.length === 0 ? NO_SESSIONS : client.sessions.slice();
    const plans: SpanPlan[] = [];
    for (const s of touched) {
      s.compact();
      s.settle();
      plans.push(...(formed.has(s) && !s.associated ? s.end('unassociated', now) : s.takeReady()));
    }
    // The spans completed now carry their facts' batches, which stay held until they are exported.
    this.emit(plans, batchesOf(batch));
    for (const fact of batch) fact.ack.release('spans');
  }

  /** The session holding that very association, else the latest one whose range covers the fact. */
  private locate(sessions: Session[], fact: Fact, forming: Set<Session>): Session | undefined {
    if (fact.kind === 'association') {
      const exact = sessions.find((s) => s.hasAssociation(fact));
      if (exact) return exact;
    }
    for (let i = sessions.length - 1; i >= 0; i--) {
      const s = sessions[i]!;
      if (s.claims(fact, this.stitchWindowNs, forming.has(s))) return s;
    }
    return undefined;
  }

  private evictOldest(): void {
    const client = this.table.values().next().value!;
    const now = this.elapsed();
    if (client.pending > 0) this.place(client, now);
    // Remembered ended sessions just go; open ones are ended now (incomplete without a disconnect).
    const open = client.sessions.filter((s) => !s.closed);
    for (const s of open) this.emit(s.end(s.final ? 'disconnect' : 'evicted', now));
    this.forget(client);
    this.count -= client.sessions.length;
    this.stats.evicted += open.length;
    this.evictedSinceSweep += open.length;
  }

  private forget(client: Client): void {
    this.table.delete(client);
    const site = this.clients.get(client.site)!;
    site.delete(client.mac);
    if (site.size === 0) this.clients.delete(client.site);
  }

  private emit(plans: SpanPlan[], acks: readonly Ack[] = NO_ACKS): void {
    for (const p of plans) this.spans.emit(p, acks);
    this.stats.exportedSpans += plans.length;
  }
}

/** The distinct acknowledgements of facts (a client's facts mostly come from one or two batches). */
function batchesOf(facts: readonly Fact[]): readonly Ack[] {
  if (facts.length === 0) return NO_ACKS;
  const first = facts[0]!.ack;
  if (facts.every((f) => f.ack === first)) return [first];
  return [...new Set(facts.map((f) => f.ack))];
}
