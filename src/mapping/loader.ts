import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Document, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { packagePath } from '../package-root.js';
import { compileMapping, EVENTS_METRIC, type TopicMapping } from './compile.js';
import { MappingEngine } from './engine.js';
import { DEFAULT_TOPIC, type MappingFile, mappingFileSchema, WEBHOOK } from './schema.js';

/** A mapping file that passed validation. */
export interface MappingSource {
  /** Path as given to the user in messages and the README (relative to the cwd when inside it). */
  file: string;
  origin: 'built-in' | 'custom';
  spec: MappingFile;
  /** `file:line:col` of a key inside the file (of its nearest parent that is there). */
  at(path: readonly PropertyKey[]): string;
}

export interface MetricDeclaration {
  name: string;
  instrument: 'counter' | 'gauge' | 'histogram';
  unit: string;
  description: string;
  gauge?: 'sample' | 'state';
  /** Counters: `observed` when the value is the sender's own running count. */
  counter?: 'increment' | 'observed';
  /** One value per live subject, combined per attribute set (see the schema). */
  aggregate?: 'count' | 'sum' | 'latest';
  /** Declared in a file with a `subject`: its series follow their subject. */
  subject?: boolean;
  /** Gauge attributes that identify a series (the others may change, e.g. a device name). */
  identity?: string[];
  buckets?: number[];
}

/** The counter every event increments, whatever its topic. */
export const EVENTS_DECLARATION: MetricDeclaration = {
  name: EVENTS_METRIC,
  instrument: 'counter',
  unit: '{event}',
  description: 'Mist events received, by topic, event type and (where the topic has one) severity',
};

export interface LoadedMappings {
  /** The files in effect (custom files replace built-in files of the same topic), by topic. */
  sources: MappingSource[];
  engine: MappingEngine;
  metrics: MetricDeclaration[];
}

/** Every problem found, one per line: `file:line:col: path.inside.file: what is wrong`. */
export class MappingError extends Error {
  override name = 'MappingError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export const BUILTIN_MAPPINGS_DIR = packagePath('mappings');

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || rel === '' ? file : rel;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(top level)';
}

/** A union error says only "Invalid input"; the branch that got furthest says what is wrong. */
function leafIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code === 'invalid_key' && issue.issues.length > 0) {
    return issue.issues.map((i) => ({ ...i, path: issue.path, message: `key: ${i.message}` }) as z.core.$ZodIssue);
  }
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const depth = (issues: z.core.$ZodIssue[]): number => Math.max(...issues.map((i) => i.path.length));
  const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  if (depth(best) === 0 && issue.errors.every((b) => b.every((i) => i.code === 'invalid_type'))) {
    const expected = [...new Set(issue.errors.flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? i.expected : ''))))];
    return [{ ...issue, message: `Invalid input: expected ${expected.join(' or ')}` }];
  }
  return best.flatMap((i) => leafIssues({ ...i, path: [...issue.path, ...i.path] }));
}

/** Line and column of `node`, or of character `offset` of its text when the file spells it as is. */
function locate(node: YamlNode, text: string, lines: LineCounter, offset?: number): string {
  let at = node.range![0];
  if (offset !== undefined && isScalar(node) && typeof node.value === 'string') {
    const raw = text.slice(node.range![0], node.range![1]);
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    // Escapes and folded lines make the file's text differ from the value: then the node it is.
    if ((quoted ? raw.slice(1, -1) : raw) === node.value) at += (quoted ? 1 : 0) + offset;
  }
  const pos = lines.linePos(at);
  return `:${pos.line}:${pos.col}`;
}

function locator(file: string, doc: Document, text: string, lines: LineCounter) {
  return (path: readonly PropertyKey[], offset?: number): string => {
    // Point at the deepest node that exists (a missing key is reported at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as YamlNode | undefined;
      if (node?.range) return file + locate(node, text, lines, n === path.length ? offset : undefined);
    }
    return file;
  };
}

function parseFile(path: string, origin: MappingSource['origin'], problems: string[]): MappingSource | undefined {
  const file = displayPath(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read: ${(err as Error).message}`);
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      problems.push(`${file}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split('\n')[0]}`);
    }
    return undefined;
  }
  const at = locator(file, doc, text, lineCounter);
  const parsed = mappingFileSchema.safeParse(doc.toJS({ maxAliasCount: 1000 }));
  if (parsed.success) return { file, origin, spec: parsed.data, at: (p) => at(p) };

  for (const issue of parsed.error.issues.flatMap(leafIssues)) {
    const offset = issue.code === 'custom' ? (issue.params as { offset?: number } | undefined)?.offset : undefined;
    problems.push(`${at(issue.path, offset)}: ${formatPath(issue.path)}: ${issue.message}`);
  }
  return undefined;
}

function readDir(dir: string, origin: MappingSource['origin'], problems: string[]): MappingSource[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n));
  } catch (err) {
    problems.push(`${displayPath(dir)}: cannot read the mappings directory: ${(err as Error).message}`);
    return [];
  }
  const out: MappingSource[] = [];
  for (const name of names.sort()) {
    const source = parseFile(join(dir, name), origin, problems);
    if (source) out.push(source);
  }
  return out;
}

/** The keys a file maps, with where each is written. */
function keysOf(s: MappingSource): Array<{ key: string; path: PropertyKey[] }> {
  return [{ key: s.spec.topic, path: [s.spec.source === WEBHOOK ? 'topic' : 'kind'] }, ...s.spec.aliases.map((key, i) => ({ key, path: ['aliases', i] }))];
}

function replacesOf(s: MappingSource): Array<{ key: string; path: PropertyKey[] }> {
  const r = s.spec.replaces;
  if (r === undefined) return [];
  return typeof r === 'string' ? [{ key: r, path: ['replaces'] }] : r.map((key, i) => ({ key, path: ['replaces', i] }));
}

/** Topic → file for one directory; two files claiming one topic (or alias) is an error. */
function byTopic(sources: MappingSource[], problems: string[]): Map<string, MappingSource> {
  const map = new Map<string, MappingSource>();
  for (const s of sources) {
    for (const { key, path } of keysOf(s)) {
      const other = map.get(key);
      if (other) problems.push(`${s.at(path)}: ${formatPath(path)}: "${key}" is already mapped by ${other.file}`);
      else map.set(key, s);
    }
  }
  return map;
}

/**
 * The built-in files that custom files replace. A custom topic or alias that a built-in file
 * maps must be covered by a `replaces:` of its file: a built-in shadowed without one is an error.
 */
function replacedBuiltins(custom: Map<string, MappingSource>, builtin: Map<string, MappingSource>, problems: string[]): Set<MappingSource> {
  const replacedBy = new Map<MappingSource, MappingSource>();
  for (const s of new Set(custom.values())) {
    for (const { key, path } of replacesOf(s)) {
      const target = builtin.get(key);
      if (!target) {
        problems.push(`${s.at(path)}: ${formatPath(path)}: "${key}" is not a built-in topic; replaces names the built-in file this one takes the place of`);
        continue;
      }
      const other = replacedBy.get(target);
      if (other && other !== s) problems.push(`${s.at(path)}: ${formatPath(path)}: ${target.file} is already replaced by ${other.file}`);
      else replacedBy.set(target, s);
    }
  }
  for (const s of new Set(custom.values())) {
    for (const { key, path } of keysOf(s)) {
      const shadowed = builtin.get(key);
      if (!shadowed || replacedBy.get(shadowed) === s) continue;
      problems.push(
        `${s.at(path)}: ${formatPath(path)}: "${key}" is a built-in topic (${shadowed.file}); add "replaces: ${shadowed.spec.topic}" to this file to replace that file, or choose another topic`,
      );
    }
  }
  return new Set(replacedBy.keys());
}

function declarations(sources: MappingSource[], problems: string[]): MetricDeclaration[] {
  const seen = new Map<string, { decl: MetricDeclaration; file: string }>([[EVENTS_METRIC, { decl: EVENTS_DECLARATION, file: '(built in)' }]]);
  for (const s of sources) {
    s.spec.metrics.forEach((m, i) => {
      const decl: MetricDeclaration = {
        name: m.name,
        instrument: m.instrument,
        unit: m.unit,
        description: m.description,
        ...(m.instrument === 'gauge' && m.aggregate === undefined ? { gauge: m.gauge ?? 'sample' } : {}),
        ...(m.instrument === 'counter' ? { counter: m.counter ?? 'increment' } : {}),
        ...(m.aggregate ? { aggregate: m.aggregate } : {}),
        ...(s.spec.subject ? { subject: true } : {}),
        ...(m.identity ? { identity: m.identity } : {}),
        ...(m.buckets ? { buckets: m.buckets } : {}),
      };
      const prev = seen.get(m.name);
      if (!prev) {
        seen.set(m.name, { decl, file: s.file });
        return;
      }
      // One name is one instrument: every file declaring it must agree on what it is.
      for (const key of ['instrument', 'unit', 'description', 'gauge', 'counter', 'aggregate', 'subject', 'identity', 'buckets'] as const) {
        if (JSON.stringify(prev.decl[key]) !== JSON.stringify(decl[key])) {
          problems.push(
            `${s.at(['metrics', i, key])}: metrics[${i}].${key}: ${m.name} is declared with ${key} ${JSON.stringify(prev.decl[key])} in ${prev.file}; a metric name must mean one thing`,
          );
        }
      }
    });
  }
  return [...seen.values()].map((v) => v.decl);
}

export interface LoadOptions {
  /** The user's directory (config `mappings.dir`); its files add topics or replace built-ins. */
  customDir?: string | null | undefined;
  builtinDir?: string;
  /**
   * Subject TTLs set by the operator, by `source:kind` (`stream:stats/devices`: config
   * `stream.deviceTtlMs`), in place of the file's `subject.ttl`.
   */
  subjectTtlMs?: Readonly<Record<string, number>>;
}

/** Read, validate and compile the mapping files; throws MappingError listing every problem. */
export function loadMappings(options: LoadOptions = {}): LoadedMappings {
  const problems: string[] = [];
  const builtin = byTopic(readDir(options.builtinDir ?? BUILTIN_MAPPINGS_DIR, 'built-in', problems), problems);
  const custom = options.customDir ? byTopic(readDir(options.customDir, 'custom', problems), problems) : new Map<string, MappingSource>();

  // A custom file replaces the built-in files it names as a whole (their aliases included).
  const replaced = replacedBuiltins(custom, builtin, problems);
  const effective = new Map<string, MappingSource>();
  for (const [key, s] of builtin) if (!replaced.has(s) && !custom.has(key)) effective.set(key, s);
  for (const [key, s] of custom) effective.set(key, s);

  const sources = [...new Set(effective.values())];
  if (!effective.has(DEFAULT_TOPIC)) problems.push(`no mapping file for topic "${DEFAULT_TOPIC}" (the default for unknown topics)`);
  const metrics = declarations(sources, problems);
  for (const s of sources) {
    s.spec.metrics.forEach((m, i) => {
      if (m.name === EVENTS_METRIC) problems.push(`${s.at(['metrics', i, 'name'])}: metrics[${i}].name: ${EVENTS_METRIC} is built in`);
    });
  }
  if (problems.length > 0) throw new MappingError(problems);

  const compiled = new Map<MappingSource, TopicMapping>();
  for (const s of sources) {
    try {
      compiled.set(s, compileMapping(s.spec, { subjectTtlMs: options.subjectTtlMs?.[s.spec.topic] }));
    } catch (err) {
      // Validation rejects what cannot compile; should one slip through, it is still a problem of the file, not a crash.
      problems.push(`${s.file}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new MappingError(problems);
  const topics = new Map<string, TopicMapping>();
  for (const [key, s] of effective) if (key !== DEFAULT_TOPIC) topics.set(key, compiled.get(s)!);
  return {
    // By topic, the default ("*") last.
    sources: sources.sort((a, b) => (a.spec.topic === DEFAULT_TOPIC ? 1 : b.spec.topic === DEFAULT_TOPIC ? -1 : a.spec.topic.localeCompare(b.spec.topic))),
    engine: new MappingEngine(topics, compiled.get(effective.get(DEFAULT_TOPIC)!)!),
    metrics,
  };
}
