import { readFileSync } from 'node:fs';
import { type Document, isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ENV_VARIABLES, envOverlay } from './env.js';
import { type BridgeConfig, configSchema } from './schema.js';
import { describeSchema, type SectionEntry } from './setting.js';

/**
 * A configuration problem. `problems` holds one line per offending key, each naming where the
 * value came from: `VARIABLE (key): …` for the environment, `FILE:LINE:COL: key: …` for the
 * --config file, `key: …` otherwise.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string | string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('\n'));
    this.problems = list;
  }
}

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) in the overlay replaces. */
export function deepMerge(base: Tree, overlay: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const prev = out[key];
    out[key] = isTree(prev) && isTree(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

type Source = { kind: 'env'; name: string } | { kind: 'file'; file: string; doc: Document; lines: LineCounter } | { kind: 'override' };

/** Where every key set by a layer came from; later layers win. */
class Provenance {
  private readonly sources = new Map<string, Source>();

  record(tree: Tree, source: Source, prefix = ''): void {
    for (const [key, value] of Object.entries(tree)) {
      const path = prefix ? `${prefix}.${key}` : key;
      this.sources.set(path, source);
      if (isTree(value)) this.record(value, source, path);
    }
  }

  recordKey(path: string, source: Source): void {
    this.sources.set(path, source);
  }

  /** Whether a layer (a variable, the file, an override) set exactly this key. */
  isSet(path: readonly PropertyKey[]): boolean {
    return this.sources.has(path.map(String).join('.'));
  }

  /**
   * `VARIABLE (key)`, `FILE:LINE:COL: key` or `key`, for the most specific key recorded. In a
   * file, the position is the key's own (`atKey`, for an unknown key) or its value's. Without
   * `withKey` (a message that names its keys itself) only the variable or the file position.
   */
  label(path: readonly PropertyKey[], { atKey = false, withKey = true } = {}): string {
    const key = path.map(String).join('.') || '(top level)';
    for (let n = path.length; n > 0; n--) {
      const source = this.sources.get(path.slice(0, n).map(String).join('.'));
      if (!source) continue;
      if (source.kind === 'env') return `${source.name} (${key})`;
      if (source.kind === 'file') return `${source.file}${position(source, path, atKey)}${withKey ? `: ${key}` : ''}`;
      break;
    }
    return withKey ? key : '';
  }
}

/** `:LINE:COL` of the deepest node of `path` that the file has (of the key itself with `atKey`). */
function position(source: Extract<Source, { kind: 'file' }>, path: readonly PropertyKey[], atKey: boolean): string {
  const at = (offset: number) => {
    const pos = source.lines.linePos(offset);
    return `:${pos.line}:${pos.col}`;
  };
  if (atKey && path.length > 0) {
    const parent = source.doc.getIn(path.slice(0, -1) as unknown[], true);
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path.at(-1))) : undefined;
    if (pair && isScalar(pair.key) && pair.key.range) return at(pair.key.range[0]);
  }
  for (let n = path.length; n >= 0; n--) {
    const node = source.doc.getIn(path.slice(0, n) as unknown[], true) as YamlNode | undefined;
    if (node?.range) return at(node.range[0]);
  }
  return '';
}

function readYamlFile(file: string): { tree: Tree; source: Source } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const tree = doc.toJS() as unknown;
  if (tree === null || tree === undefined) return { tree: {}, source: { kind: 'file', file, doc, lines } };
  if (!isTree(tree)) throw new ConfigError(`${file}: the top level must be a mapping of sections (server:, export:, …)`);
  return { tree, source: { kind: 'file', file, doc, lines } };
}

const DECLARED = describeSchema(configSchema);

function keysOf(path: readonly PropertyKey[]): string[] {
  let entry: SectionEntry | undefined = DECLARED;
  for (const p of path) {
    const child: SectionEntry['children'][number] | undefined = entry?.children.find((c) => c.key.split('.').at(-1) === String(p));
    entry = child && 'children' in child ? child : undefined;
  }
  return entry ? entry.children.map((c) => c.key.split('.').at(-1)!) : [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function unknownKey(path: readonly PropertyKey[], key: string): string {
  const near = keysOf(path)
    .map((k) => ({ k, d: editDistance(key, k) }))
    .filter(({ d }) => d <= 2)
    .sort((a, b) => a.d - b.d)[0];
  return near ? `unknown key (did you mean ${[...path.map(String), near.k].join('.')}?)` : 'unknown key';
}

/** A rule between keys (see `Rule`) is reported on the first of them the user set, by its message. */
function ruleOrIssue(issue: z.core.$ZodIssue, provenance: Provenance): string {
  const keys = issue.code === 'custom' ? (issue.params as { keys?: readonly string[] } | undefined)?.keys : undefined;
  if (!keys) return `${provenance.label(issue.path)}: ${issue.message}`;
  const prefix = issue.path.slice(0, issue.path.length - keys[0]!.split('.').length);
  const paths = keys.map((k) => [...prefix, ...k.split('.')]);
  const where = provenance.label(paths.find((p) => provenance.isSet(p)) ?? issue.path, { withKey: false });
  return where ? `${where}: ${issue.message}` : issue.message;
}

function describe(error: z.ZodError, provenance: Provenance): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${provenance.label([...issue.path, key], { atKey: true })}: ${unknownKey(issue.path, key)}`)
      : issue.code === 'invalid_key'
        ? issue.issues.map((inner) => `${provenance.label(issue.path, { atKey: true })}: ${inner.message}`)
        : [ruleOrIssue(issue, provenance)],
  );
}

export interface LoadOptions {
  /** The `--config FILE` overlay. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Further overrides, applied last (tests use this instead of environment variables). */
  overrides?: Tree;
}

const provenanceOf = new WeakMap<object, Provenance>();

/**
 * How to name `key` of `config` in a message about its value: the variable or file that set it
 * (`MIST_BRIDGE_PORT (server.port)`, `my.yaml:3:9: server.port`), or the key and its variable.
 */
export function keyLabel(config: BridgeConfig, key: string): string {
  const provenance = provenanceOf.get(config);
  const label = provenance?.label(key.split('.')) ?? key;
  if (label !== key) return label;
  const variable = Object.entries(ENV_VARIABLES).find(([, [path]]) => path === key)?.[0];
  return variable ? `${key} (${variable})` : key;
}

/**
 * The schema's defaults ← --config file ← environment ← overrides, then validated. Throws a
 * ConfigError listing every problem found, each naming the variable, file or key it is about.
 */
export function loadConfig(options: LoadOptions = {}): BridgeConfig {
  const provenance = new Provenance();
  let tree: Tree = {};
  if (options.file) {
    const { tree: fileTree, source } = readYamlFile(options.file);
    tree = fileTree;
    provenance.record(fileTree, source);
  }
  const env = envOverlay(options.env ?? process.env);
  tree = deepMerge(tree, env.tree);
  for (const [key, name] of env.sources) provenance.recordKey(key, { kind: 'env', name });
  if (options.overrides) {
    tree = deepMerge(tree, options.overrides);
    provenance.record(options.overrides, { kind: 'override' });
  }

  const parsed = configSchema.safeParse(tree);
  const problems = [...env.problems, ...(parsed.success ? [] : describe(parsed.error, provenance))];
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  provenanceOf.set(parsed.data, provenance);
  return parsed.data;
}
