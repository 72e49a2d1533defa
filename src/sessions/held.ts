import type { Attributes, AttributeValue } from '@opentelemetry/api';

/**
 * A fact's span attributes as the tracker holds them until its span goes out: one array, the
 * key list first, then the values in its order. The key list is shared by every fact with the
 * same keys (one per trace entry of a mapping file and the fields present), so a held fact pays
 * for its values only. Under load the settle time keeps hundreds of thousands of facts waiting:
 * this, the one-object facts and the shared strings are what keep that within a few hundred bytes
 * each (bench/sessions-memory.ts).
 */
export type HeldAttributes = readonly [KeyList, ...AttributeValue[]];

export class KeyList {
  /** The lists one key longer, by that key. */
  private longer: Map<string, KeyList> | undefined;

  constructor(readonly keys: readonly string[]) {}

  extend(key: string, interner: Interner): KeyList {
    let next = this.longer?.get(key);
    if (next === undefined) {
      next = new KeyList([...this.keys, key]);
      // Past the bound a list is the fact's own: correct, just not shared.
      if (interner.keyLists < MAX_KEY_LISTS) {
        (this.longer ??= new Map()).set(key, next);
        interner.keyLists += 1;
      }
    }
    return next;
  }
}

// Sessions hold their attributes for hours, and every event parsed from JSON brings its own copy
// of the same org, site, WLAN, AP, SSID and event type strings: one shared copy each saves a
// third of an open session's memory. Bounded, in two generations: when the young one is full it
// becomes the old one, and what is looked up there moves back to the young one, so values unique
// to one event (ids) age out and cannot keep the common ones out.
const POOL_LIMIT = 20_000;
const POOLED_MAX_LENGTH = 64;
// Key lists come from mapping files (fields present or not), so a few dozen in practice.
const MAX_KEY_LISTS = 4096;

class Pool<T> {
  private young = new Map<string, T>();
  private old = new Map<string, T>();

  get(key: string): T | undefined {
    let v = this.young.get(key);
    if (v === undefined) {
      v = this.old.get(key);
      if (v !== undefined) this.set(key, v);
    }
    return v;
  }

  set(key: string, value: T): void {
    if (this.young.size >= POOL_LIMIT) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

/** The tracker's shared copies: strings, arrays and the key lists of held attributes, picked attribute sets. */
export class Interner {
  private readonly strings = new Pool<string>();
  private readonly lists = new Pool<string[]>();
  private readonly picked = new Pool<Readonly<Attributes>>();
  readonly empty = new KeyList([]);
  keyLists = 0;

  /** `names`: the attributes `pick` takes. */
  constructor(private readonly names: readonly string[] = []) {}

  /**
   * The attributes named at construction that are present, in that order, as one frozen object
   * shared by every fact with the same string values (an association's dimensions: a few per
   * AP and WLAN, held by every session for hours).
   */
  pick(held: HeldAttributes): Readonly<Attributes> {
    const names = this.names;
    const keys = held[0].keys;
    const values: (string | null)[] = [];
    for (const name of names) {
      const i = keys.indexOf(name);
      const v = i < 0 ? null : held[i + 1];
      if (v !== null && typeof v !== 'string') return pickAttributes(held, names);
      values.push(v);
    }
    const id = JSON.stringify(values);
    let shared = this.picked.get(id);
    if (shared === undefined) {
      shared = Object.freeze(pickAttributes(held, names));
      this.picked.set(id, shared);
    }
    return shared;
  }

  intern(value: string): string {
    if (value.length > POOLED_MAX_LENGTH) return value;
    const pooled = this.strings.get(value);
    if (pooled !== undefined) return pooled;
    this.strings.set(value, value);
    return value;
  }

  /** A list of strings (roles, groups: the same few lists again and again), shared; spans only read it. */
  internList(value: string[]): string[] {
    const id = JSON.stringify(value);
    if (id.length > POOLED_MAX_LENGTH * 4) return value;
    const pooled = this.lists.get(id);
    if (pooled !== undefined) return pooled;
    this.lists.set(id, value);
    return value;
  }
}

function isPrimitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

const scratch: unknown[] = [];

/**
 * Span attributes take primitives and arrays of one primitive type; nested maps are dropped.
 * Converted once, on arrival, in the mapping's key order.
 */
export function holdAttributes(map: Attributes, interner: Interner): HeldAttributes {
  let list = interner.empty;
  scratch.length = 1;
  for (const key of Object.keys(map)) {
    const v = map[key];
    let value: AttributeValue;
    if (typeof v === 'string') value = interner.intern(v);
    else if (isPrimitive(v)) value = v;
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => isPrimitive(x) && typeof x === typeof v[0])) {
      value = typeof v[0] === 'string' ? interner.internList(v as string[]) : (v as AttributeValue);
    } else continue;
    list = list.extend(key, interner);
    scratch.push(value);
  }
  scratch[0] = list;
  const held = scratch.slice() as unknown as HeldAttributes;
  scratch.length = 0;
  return held;
}

/** A span's own attribute object, in the held key order (empty for none). */
export function spanAttributes(held: HeldAttributes | undefined): Attributes {
  const out: Attributes = {};
  if (held === undefined) return out;
  const keys = held[0].keys;
  for (let i = 0; i < keys.length; i++) out[keys[i]!] = held[i + 1] as AttributeValue;
  return out;
}

/** The named attributes present, in the order of `names`. */
export function pickAttributes(held: HeldAttributes, names: readonly string[]): Attributes {
  const out: Attributes = {};
  const keys = held[0].keys;
  for (const name of names) {
    const i = keys.indexOf(name);
    if (i >= 0) out[name] = held[i + 1] as AttributeValue;
  }
  return out;
}
