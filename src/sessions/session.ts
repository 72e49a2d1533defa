import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import type { SpanOutput } from '../signals/emit.js';
import type { AssociationFact, AuthFact, Fact, IpFact } from './facts.js';
import { type HeldAttributes, spanAttributes } from './held.js';
import { type ClientRef, sessionSpanId, sessionTraceId } from './ids.js';

export const SESSION_SPAN = 'client-session';
export const CONNECTED_SPAN = 'connected';
export const AUTH_SPAN = 'nac-auth';
export const DHCP_SPAN = 'dhcp';

/**
 * Put on every session span (children inherit the missing ones from the association they
 * happened in): the dimensions of the collector's spanmetrics connector (otel-collector.yaml).
 */
export const DIMENSIONS = ['mist.site_id', 'mist.wlan_id', 'mist.ap'] as const;

/** Attributes the tracer itself adds. */
export const INCOMPLETE_ATTRIBUTE = 'mist.session.incomplete';
export const ROAMS_ATTRIBUTE = 'mist.session.roams';
export const ASSOCIATED_ATTRIBUTE = 'mist.session.associated';
export const NAC_RESULT_ATTRIBUTE = 'mist.nac.result';

const NS_PER_S = 1_000_000_000n;
// client-join and client-sessions report one association's connect_float up to a millisecond
// apart; a second of tolerance still keeps two associations at one AP apart.
const SAME_CONNECT_NS = NS_PER_S;
// NAC certificate/IdP/MDM checks of one authentication arrive within milliseconds of its verdict.
const CHECK_WINDOW_NS = 10n * NS_PER_S;

/** What a session hands the signals layer for each of its spans. */
export type SpanPlan = SpanOutput;

/** One association with an AP: its client-join and client-sessions record, as far as they came. */
class Association {
  joinAttributes: HeldAttributes | undefined = undefined;
  /** The client-sessions record (it has a disconnect; its attributes go once its span is out). */
  record: AssociationFact | undefined = undefined;
  exported = false;

  constructor(
    readonly ap: string,
    readonly connectSec: number,
    public connectNs: bigint,
    public dims: Readonly<Attributes>,
  ) {}
}

export type EndCause = 'disconnect' | 'unassociated' | 'max-age' | 'evicted';

// Most sessions have no DHCP or no NAC facts: one shared empty list rather than one each.
// Frozen, so a push to it would throw rather than reach every session.
const NONE: readonly never[] = Object.freeze([]);

/** The list with `item` inserted before index `at` (-1: at the end). */
function inserted<T>(list: readonly T[], at: number, item: T): readonly T[] {
  const own = list === NONE ? [] : (list as T[]);
  own.splice(at < 0 ? own.length : at, 0, item);
  return own;
}

function trimmed<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? NONE : list.slice();
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const abs = (a: bigint) => (a < 0n ? -a : a);

/**
 * What one bridge instance knows of one client session at one site, and the spans it yields.
 * Built from facts in time order (the tracker sorts each settled batch), so the delivery order
 * of the facts in one batch does not change the result.
 */
export class Session {
  traceId: string | undefined;
  rootSpanId: string | undefined;
  firstNs: bigint;
  lastNs: bigint;
  /** Wall-clock ms: when this instance first heard of the session, saw its final disconnect, exported its root. */
  readonly createdMs: number;
  endedMs: number | undefined;
  closedMs: number | undefined;
  /** The record that ended the session (not a roam). */
  final: AssociationFact | undefined;
  /** Its attributes, for the root (the record's own go once its connected span is out). */
  private finalAttributes: HeldAttributes | undefined;
  /** The root's end, once exported. */
  private closedEndNs: bigint | undefined;
  private associations: readonly Association[] = NONE;
  private auths: readonly AuthFact[] = NONE;
  private ips: readonly IpFact[] = NONE;

  constructor(
    readonly client: ClientRef,
    fact: Fact,
    nowMs: number,
  ) {
    this.createdMs = nowMs;
    this.firstNs = this.lastNs = fact.kind === 'association' ? fact.connectNs : fact.timeNs;
  }

  get settled(): boolean {
    return this.traceId !== undefined;
  }

  get closed(): boolean {
    return this.closedMs !== undefined;
  }

  /** Root start: the first association's connect (as its client-sessions record tells it, when known). */
  private get anchorNs(): bigint | undefined {
    return this.associations[0]?.connectNs;
  }

  private findAssociation(ap: string, connectNs: bigint): Association | undefined {
    return this.associations.find((a) => a.ap === ap && abs(a.connectNs - connectNs) <= SAME_CONNECT_NS);
  }

  /** This exact association is known here (redelivery, or its join/record counterpart). */
  hasAssociation(f: AssociationFact): boolean {
    return this.findAssociation(f.ap, f.connectNs) !== undefined;
  }

  /**
   * Whether a fact falls inside this session's time range. `forming`: the session is being built
   * from this very batch, so an association near its pending NAC/DHCP events may still anchor it.
   */
  claims(fact: Fact, stitchWindowNs: bigint, forming: boolean): boolean {
    const anchor = this.anchorNs;
    // An ended session covers nothing after its end; an open one, everything after its start.
    const end = this.final?.disconnectNs ?? this.closedEndNs;
    if (fact.kind === 'association') {
      if (anchor === undefined) return forming && fact.connectNs >= this.firstNs - stitchWindowNs && fact.connectNs <= this.lastNs + stitchWindowNs;
      return fact.connectNs >= anchor - SAME_CONNECT_NS && (end === undefined || fact.connectNs < end);
    }
    if (anchor === undefined) return fact.timeNs >= this.firstNs - stitchWindowNs && fact.timeNs <= (end ?? this.lastNs + stitchWindowNs);
    return fact.timeNs >= anchor - stitchWindowNs && (end === undefined || fact.timeNs <= end);
  }

  /** Take a fact in; false when it adds nothing (a redelivery). */
  add(fact: Fact, nowMs: number): boolean {
    const added = fact.kind === 'association' ? this.addAssociation(fact, nowMs) : fact.kind === 'auth' ? this.addAuth(fact) : this.addIp(fact);
    if (added) {
      const [from, to] = fact.kind === 'association' ? [fact.connectNs, fact.disconnectNs ?? fact.connectNs] : [fact.timeNs, fact.timeNs];
      this.firstNs = min(this.firstNs, from);
      this.lastNs = max(this.lastNs, to);
    }
    return added;
  }

  private addAssociation(f: AssociationFact, nowMs: number): boolean {
    let a = this.findAssociation(f.ap, f.connectNs);
    let added = false;
    if (!a) {
      a = new Association(f.ap, f.connectSec, f.connectNs, f.dims);
      const at = this.associations.findIndex((x) => x.connectNs > f.connectNs);
      this.associations = inserted(this.associations, at, a);
      added = true;
    }
    if (f.disconnectNs === undefined) {
      if (a.joinAttributes === undefined && a.record === undefined && !a.exported) {
        a.joinAttributes = f.attributes;
        added = true;
      }
      return added;
    }
    if (a.record !== undefined) return added;
    // The client-sessions record is the association's own account: its times and attributes win.
    a.connectNs = f.connectNs;
    a.dims = f.dims;
    a.record = f;
    a.joinAttributes = undefined;
    if (f.outcome !== 'roam' && this.final === undefined) {
      this.final = f;
      this.finalAttributes = f.attributes;
      this.endedMs = nowMs;
    }
    return true;
  }

  private addAuth(f: AuthFact): boolean {
    if (this.auths.some((x) => x.type === f.type && x.timeNs === f.timeNs && x.outcome === f.outcome)) return false;
    const at = this.auths.findIndex((x) => x.timeNs > f.timeNs);
    this.auths = inserted(this.auths, at, f);
    return true;
  }

  private addIp(f: IpFact): boolean {
    const known = this.ips.find((x) => x.ip === f.ip);
    if (!known) {
      this.ips = inserted(this.ips, -1, f);
      return true;
    }
    // client-info and NAC_CLIENT_IP_ASSIGNED report one assignment: the earliest report wins,
    // whatever order they came in, as long as the span is not out yet.
    if (known.exported || known.timeNs <= f.timeNs) return false;
    known.timeNs = f.timeNs;
    known.attributes = f.attributes;
    return true;
  }

  /** Arrays grown by push/splice keep spare capacity (17 slots); an open session holds them for hours. */
  compact(): void {
    this.associations = trimmed(this.associations);
    this.auths = trimmed(this.auths);
    this.ips = trimmed(this.ips);
  }

  /** Fix the session's identity: from now on its spans can be exported. */
  settle(): void {
    if (this.settled) return;
    const first = this.associations[0];
    const anchor = first !== undefined ? `connect:${first.connectSec}` : `auth:${this.firstNs}`;
    this.traceId = sessionTraceId(this.client, anchor);
    this.rootSpanId = sessionSpanId(this.traceId, SESSION_SPAN);
  }

  get associated(): boolean {
    return this.associations.length > 0;
  }

  /** Children complete and not yet exported (none before settling). */
  takeReady(): SpanPlan[] {
    if (!this.settled) return [];
    const plans: SpanPlan[] = [];
    for (const a of this.associations) {
      if (a.record !== undefined && !a.exported) plans.push(this.connectedSpan(a, a.record.disconnectNs!, false));
    }
    for (const verdict of this.auths) {
      if (verdict.exported || (verdict.outcome !== 'permit' && verdict.outcome !== 'deny')) continue;
      const checks = this.auths.filter(
        (c) =>
          !c.exported && (c.outcome === 'check' || c.outcome === 'check-error') && c.timeNs <= verdict.timeNs && c.timeNs >= verdict.timeNs - CHECK_WINDOW_NS,
      );
      plans.push(this.authSpan(verdict, checks));
    }
    for (const ip of this.ips) if (!ip.exported) plans.push(this.dhcpSpan(ip));
    return plans;
  }

  /** Everything still held, then the root; the session keeps only what deduplicates late redeliveries. */
  end(cause: EndCause, nowMs: number): SpanPlan[] {
    this.settle();
    const root = this.rootSpan(cause);
    const plans = this.takeReady();
    const incomplete = cause === 'max-age' || cause === 'evicted';
    this.associations.forEach((a, i) => {
      if (a.exported) return;
      const next = this.associations[i + 1];
      plans.push(this.connectedSpan(a, next?.connectNs ?? root.endNs, true));
    });
    // Checks no verdict followed: one span per burst.
    let burst: AuthFact[] = [];
    for (const c of this.auths) {
      if (c.exported) continue;
      if (burst.length > 0 && c.timeNs - burst[burst.length - 1]!.timeNs > CHECK_WINDOW_NS) {
        plans.push(this.authSpan(undefined, burst));
        burst = [];
      }
      burst.push(c);
    }
    if (burst.length > 0) plans.push(this.authSpan(undefined, burst));
    if (incomplete && this.final === undefined) root.attributes[INCOMPLETE_ATTRIBUTE] = true;
    plans.push(root);
    this.closedMs = nowMs;
    this.closedEndNs = root.endNs;
    // Every span but late children's is out: those take the dimensions, the rest can go.
    for (const a of this.associations) {
      a.joinAttributes = undefined;
      if (a.record) a.record.attributes = undefined;
    }
    this.finalAttributes = undefined;
    return plans;
  }

  private childAttributes(own: HeldAttributes | undefined, timeNs: bigint): Attributes {
    const attrs = spanAttributes(own);
    let active = this.associations[0];
    for (const a of this.associations) if (a.connectNs <= timeNs) active = a;
    if (active) for (const [k, v] of Object.entries(active.dims)) if (attrs[k] === undefined) attrs[k] = v;
    return attrs;
  }

  private connectedSpan(a: Association, endNs: bigint, incomplete: boolean): SpanPlan {
    const attributes = spanAttributes(a.record?.attributes ?? a.joinAttributes);
    let status: SpanPlan['status'] = { code: SpanStatusCode.OK };
    if (incomplete) {
      attributes[INCOMPLETE_ATTRIBUTE] = true;
      status = { code: SpanStatusCode.UNSET };
    } else if (a.record?.outcome === 'error') {
      status = { code: SpanStatusCode.ERROR, message: abnormal(a.record.reason) };
    }
    a.exported = true;
    // The first association's attributes stay: they describe the session if it never ends.
    if (a !== this.associations[0]) {
      if (a.record) a.record.attributes = undefined;
      a.joinAttributes = undefined;
    }
    return this.child(CONNECTED_SPAN, [a.ap, a.connectSec], { startNs: a.connectNs, endNs: max(endNs, a.connectNs), attributes, status, events: [] });
  }

  /** One authentication: its verdict (when one came) and the checks before it, as span events. */
  private authSpan(verdict: AuthFact | undefined, checks: AuthFact[]): SpanPlan {
    const key = verdict ?? checks[0]!;
    const attributes = this.childAttributes(key.attributes, key.timeNs);
    const failed = checks.find((c) => c.outcome === 'check-error');
    let status: SpanPlan['status'];
    if (verdict) {
      attributes[NAC_RESULT_ATTRIBUTE] = verdict.outcome;
      status = verdict.outcome === 'deny' ? { code: SpanStatusCode.ERROR, message: verdict.text ?? verdict.type } : { code: SpanStatusCode.OK };
    } else {
      status = failed ? { code: SpanStatusCode.ERROR, message: failed.text ?? failed.type } : { code: SpanStatusCode.OK };
    }
    const startNs = checks.reduce((m, c) => min(m, c.timeNs), key.timeNs);
    const endNs = verdict?.timeNs ?? checks.reduce((m, c) => max(m, c.timeNs), key.timeNs);
    const events = checks.map((c) => ({ name: c.type, timeNs: c.timeNs, attributes: spanAttributes(c.attributes) }));
    for (const a of [...checks, ...(verdict ? [verdict] : [])]) {
      a.exported = true;
      a.attributes = undefined;
    }
    return this.child(AUTH_SPAN, [key.type, key.timeNs], { startNs, endNs, attributes, status, events });
  }

  private dhcpSpan(ip: IpFact): SpanPlan {
    const attributes = this.childAttributes(ip.attributes, ip.timeNs);
    ip.exported = true;
    ip.attributes = undefined;
    return this.child(DHCP_SPAN, [ip.ip], { startNs: ip.timeNs, endNs: ip.timeNs, attributes, status: { code: SpanStatusCode.OK }, events: [] });
  }

  /** A span under this session's root; its id from its kind and what tells it apart from its siblings. */
  private child(name: string, discriminators: (string | number | bigint)[], span: Omit<SpanPlan, 'name' | 'traceId' | 'spanId' | 'parentSpanId'>): SpanPlan {
    const traceId = this.traceId!;
    return { name, traceId, spanId: sessionSpanId(traceId, name, ...discriminators), parentSpanId: this.rootSpanId!, ...span };
  }

  private rootSpan(cause: EndCause): SpanPlan {
    const traceId = this.traceId!;
    const first = this.associations[0];
    let attributes: Attributes;
    let status: SpanPlan['status'] = { code: SpanStatusCode.OK };
    let startNs: bigint;
    if (first === undefined) {
      // Authentication without association: denied, or a wired/MAB client that never joins Wi-Fi.
      const verdicts = this.auths.filter((a) => a.outcome === 'permit' || a.outcome === 'deny');
      const last = verdicts[verdicts.length - 1];
      const failed = this.auths.find((a) => a.outcome === 'check-error');
      attributes = this.childAttributes((last ?? this.auths[0] ?? this.ips[0])?.attributes, this.firstNs);
      attributes[ASSOCIATED_ATTRIBUTE] = false;
      if (last?.outcome === 'deny') status = { code: SpanStatusCode.ERROR, message: last.text ?? last.type };
      else if (!last && failed) status = { code: SpanStatusCode.ERROR, message: failed.text ?? failed.type };
      startNs = this.firstNs;
    } else {
      attributes = spanAttributes(this.finalAttributes ?? first.record?.attributes ?? first.joinAttributes);
      attributes[ROAMS_ATTRIBUTE] = this.associations.length - 1;
      if (this.final?.outcome === 'error') status = { code: SpanStatusCode.ERROR, message: abnormal(this.final.reason) };
      else if (cause === 'max-age' || cause === 'evicted') status = { code: SpanStatusCode.UNSET };
      startNs = first.connectNs;
    }
    const endNs = this.final?.disconnectNs ?? this.lastNs;
    return {
      name: SESSION_SPAN,
      traceId,
      spanId: this.rootSpanId!,
      startNs,
      endNs: max(endNs, startNs),
      attributes,
      status,
      events: [],
    };
  }
}

function abnormal(reason: string | undefined): string {
  return reason === undefined ? 'abnormal disconnect' : `abnormal disconnect (termination reason ${reason})`;
}
