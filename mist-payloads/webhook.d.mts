/** Mist webhook deliveries: the one generator of the tests, the benchmark and the demo sender (./webhook.mjs). */

export type SlotKind = 'mac' | 'apmac' | 'uuid' | 'ts' | 'tsf' | 'tsms' | 'tsstr' | 'rssi' | 'coord' | 'count';
export interface Slot {
  /** Byte offset of the value in the body. */
  at: number;
  kind: SlotKind;
}

/** Width in bytes of each slot kind, and whether it sits inside a JSON string. */
export const SLOT_KINDS: Record<SlotKind, { width: number; quoted: boolean }>;
/** The client and device populations the slots draw MACs from. */
export const POPULATION: { CLIENTS: number; DEVICES: number; CLIENT_OUI: number; DEVICE_OUI: number };

export interface Site {
  id: string;
  name: string;
  /** The site's WLAN id, when it has its own (the sample one otherwise). */
  wlan?: string;
}
export interface Ap {
  site: Site;
  mac: string;
  name: string;
}
/** The sample organisation every generated event belongs to. */
export const ORG: string;
export const SITES: readonly Site[];
export const WLAN: string;
export const APS: readonly Ap[];

/** Event templates per topic: a function of the event's index in its body, slots as placeholders. */
export const TOPICS: Record<string, (i: number) => Record<string, unknown>>;

/** Writes fresh values into a rendered body's slots, the first from sequence number `seq` on; returns the next unused one. */
export function fillSlots(body: Uint8Array, slots: readonly Slot[], seq: number, nowMs: number, salt: number): number;

export interface Delivery {
  topic: string;
  events: number;
  bytes: number;
  template: Buffer;
  slots: Slot[];
  salt: number;
  /** A fresh body (new slot values, stamped now) and its X-Mist-Signature-v2. */
  next(): { body: Buffer; signature: string };
}
/** A delivery of `count` events of `topic`, signed with `secret`, every `next()` unique. */
export function delivery(topic: string, count: number, secret: string): Delivery;

/** The benchmark's delivery mixes: [topic, events per delivery, weight]. */
export const MIXES: Record<string, [string, number, number][]>;
/** A mix expanded into the request list a load generator cycles through. */
export function deliveries(mix: readonly [string, number, number][], secret: string): Delivery[];

/** `count` events of `topic` as objects: what `delivery()` would send, slots filled from `seq` on, stamped `nowMs`. */
export function events(topic: string, count?: number, options?: { seq?: number; nowMs?: number }): Record<string, unknown>[];

export interface Body {
  topic: string;
  events: Record<string, unknown>[];
}
/** One client's session as Mist delivers it: NAC permit, client-join, client-info, client-sessions. */
export function clientSession(story: {
  client: string;
  ap: Ap;
  connectMs: number;
  disconnectMs: number;
  ip: string;
  hostname: string;
  /** 1: a normal disconnect; others (2: inactive) abnormal. */
  terminationReason?: number;
  /** The org id (the sample organisation's unless given). */
  org?: string;
}): Body[];
/** A client refused by NAC, never associated. */
export function denial(story: { client: string; ap: Ap; atMs: number; org?: string }): Body;
/** A delivery of `count` distinct probe events numbered from `first` (field `n`), `fields` added to each. */
export function numbered(topic: string, first: number, count: number, fields?: Record<string, unknown>): Body;
