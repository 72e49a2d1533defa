import { z } from 'zod';

/**
 * The building blocks of the configuration schema. A key is declared once, with `setting()`:
 * its validation, its default, the environment variable that overlays it and its description.
 * From that one declaration come the zod schema (src/config/schema.ts), the environment overlay
 * (src/config/env.ts), the generated config/default.yaml and the README's configuration table
 * (src/config/docs.ts).
 */

/** Raised by a variable's parser; the message says what is wrong without echoing a secret. */
export class EnvValueError extends Error {
  override name = 'EnvValueError';
}

export type EnvParser = (raw: string) => unknown;

export interface SettingDoc {
  /** The environment variable that overlays this key. */
  env?: string;
  /** The variable's text → the key's value; inferred from the schema when left out. */
  fromEnv?: EnvParser;
  /** The README's "meaning" cell and the YAML comment (Markdown: `code` and links). */
  doc: string;
  /** Further YAML comment lines: why the default is what it is. */
  why?: string;
  /** Never echo the value in an error message. */
  secret?: boolean;
  /** How the README shows the default when the value alone says too little. */
  shownDefault?: string;
}

export interface SettingMeta extends SettingDoc {
  default: unknown;
  fromEnv: EnvParser;
}

export interface SectionMeta {
  /** A comment above the section in default.yaml. */
  doc?: string;
  /**
   * One of several sibling sections of the same keys (one per OTLP signal): default.yaml lists
   * their keys without a comment each, the README gives one row per key for all of them.
   */
  brief?: boolean;
}

const settingRegistry = z.registry<SettingMeta>();
const sectionRegistry = z.registry<SectionMeta>();

// Parsers for variable text. Empty text clears a nullable key and empties a list, as the
// variables did before the schema carried them.

const text: EnvParser = (raw) => raw;

const nullableText: EnvParser = (raw) => (raw.trim() === '' ? null : raw);

export const integer: EnvParser = (raw) => {
  const trimmed = raw.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new EnvValueError(`expected an integer, got "${raw}"`);
  return Number(trimmed);
};

const nullableInteger: EnvParser = (raw) => (raw.trim() === '' ? null : integer(raw));

const boolean: EnvParser = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  throw new EnvValueError(`expected true or false, got "${raw}"`);
};

const list: EnvParser = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Text for an enum-like key: surrounding blanks are not part of the value; empty = unset. */
const word: EnvParser = (raw) => (raw.trim() === '' ? null : raw.trim());

function unwrap(schema: z.ZodType): { base: z.ZodType; nullable: boolean } {
  let s = schema;
  let nullable = false;
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType };
    if (def.type === 'nullable') nullable = true;
    if ((def.type === 'nullable' || def.type === 'optional') && def.innerType) s = def.innerType;
    else return { base: s, nullable };
  }
}

function inferParser(schema: z.ZodType, env: string): EnvParser {
  const { base, nullable } = unwrap(schema);
  switch (base.def.type) {
    case 'number':
      return nullable ? nullableInteger : integer;
    case 'boolean':
      return boolean;
    case 'array':
      return list;
    case 'enum':
      return nullable ? word : (raw) => raw.trim();
    case 'string':
      return nullable ? nullableText : text;
    default:
      throw new Error(`${env}: give this setting a fromEnv parser`);
  }
}

/** One configuration key: its validation, default, variable and description. */
export function setting<S extends z.ZodType>(schema: S, defaultValue: z.output<S>, doc: SettingDoc): z.ZodDefault<S> {
  const fromEnv = doc.fromEnv ?? (doc.env ? inferParser(schema, doc.env) : text);
  // A fresh copy per parse: configurations never share a default array or object.
  const withDefault = schema.default(() => structuredClone(defaultValue) as z.util.NoUndefined<z.output<S>>);
  settingRegistry.add(withDefault, { ...doc, default: defaultValue, fromEnv });
  return withDefault;
}

/**
 * A rule between keys of one object: `keys` are the keys it reads; it runs only when none of
 * them has an error of its own, so every problem is reported once, together with every other.
 * Its message names the keys itself: the error is reported on the first of them that the user
 * set (a variable, the --config file), else on the first.
 */
export interface Rule<T> {
  keys: readonly string[];
  /** A description of what is wrong, or undefined when the rule holds. */
  check: (value: T) => string | undefined;
}

function touches(issuePath: readonly PropertyKey[], keyPath: readonly string[]): boolean {
  const n = Math.min(issuePath.length, keyPath.length);
  for (let i = 0; i < n; i++) if (issuePath[i] !== keyPath[i]) return false;
  return true;
}

/** Adds `rules` to an object schema, each as a check of its own. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly Rule<z.output<S>>[]): S {
  let out = schema;
  for (const rule of rules) {
    const paths = rule.keys.map((k) => k.split('.'));
    out = out.check(
      z.superRefine<z.output<S>>(
        (value, ctx) => {
          const message = rule.check(value);
          // `keys` lets the loader blame the one the user set (src/config/load.ts).
          if (message !== undefined) ctx.addIssue({ code: 'custom', path: paths[0]!, message, params: { keys: rule.keys } });
        },
        // An unknown key beside them does not make their values doubtful.
        { when: (payload) => !payload.issues.some((issue) => issue.code !== 'unrecognized_keys' && paths.some((p) => touches(issue.path ?? [], p))) },
      ),
    ) as S;
  }
  return out;
}

type Shape = Record<string, z.ZodType>;

/**
 * A group of keys (a YAML mapping). Unknown keys are errors; a section left out of a file gets
 * every default.
 */
export function section<T extends Shape>(shape: T, options: SectionMeta & { rules?: readonly Rule<z.output<z.ZodObject<T>>>[] } = {}) {
  const object = withRules(z.object(shape).strict(), options.rules ?? []);
  const withDefault = object.prefault({} as never);
  sectionRegistry.add(withDefault, { ...(options.doc ? { doc: options.doc } : {}), ...(options.brief ? { brief: true } : {}) });
  return withDefault;
}

export interface SettingEntry {
  /** Dotted key, e.g. `server.port`. */
  key: string;
  schema: z.ZodType;
  meta: SettingMeta;
}

export interface SectionEntry {
  key: string;
  meta: SectionMeta;
  children: Array<SettingEntry | SectionEntry>;
}

function shapeOf(schema: z.ZodType): Shape | undefined {
  let s: z.ZodType = schema;
  for (;;) {
    const def = s.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Shape };
    if (def.type === 'object') return def.shape;
    if (def.type === 'prefault' || def.type === 'default') s = def.innerType!;
    else if (def.type === 'pipe') s = def.in!;
    else return undefined;
  }
}

/** The declared keys of a schema built from `section` and `setting`, in declaration order. */
export function describeSchema(schema: z.ZodType, prefix = ''): SectionEntry {
  const shape = shapeOf(schema);
  if (!shape) throw new Error(`${prefix || '(top level)'} is not a section`);
  const children: Array<SettingEntry | SectionEntry> = [];
  for (const [name, child] of Object.entries(shape)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const meta = settingRegistry.get(child);
    if (meta) children.push({ key, schema: child, meta });
    else children.push(describeSchema(child, key));
  }
  return { key: prefix, meta: sectionRegistry.get(schema) ?? {}, children };
}

/** Every key below `entry`, depth first. */
export function* settingsOf(entry: SectionEntry): Generator<SettingEntry> {
  for (const child of entry.children) {
    if ('children' in child) yield* settingsOf(child);
    else yield child;
  }
}
