import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { packagePath } from '../package-root.js';
import { compileMapping, EVENTS_METRIC, type TopicMapping } from './compile.js';
import { MappingEngine } from './engine.js';
import { DEFAULT_TOPIC, mappingFileSchema, type MappingFile } from './schema.js';

/** A mapping file that passed validation. */
export interface MappingSource {
  /** Path as given to the user in messages and the README (relative to the cwd when inside it). */
  file: string;
  origin: 'built-in' | 'custom';
  spec: MappingFile;
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
    super(`invalid mapping files\n${problems.join('\n')}`);
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
  const parsed = mappingFileSchema.safeParse(doc.toJS({ maxAliasCount: 1000 }));
  if (parsed.success) return { file, origin, spec: parsed.data };

  for (const issue of parsed.error.issues.flatMap(leafIssues)) {
    // Point at the deepest node that exists (a missing key is reported at its parent).
    let where = '';
    for (let n = issue.path.length; n >= 0; n--) {
      const node = doc.getIn(issue.path.slice(0, n) as unknown[], true) as YamlNode | undefined;
      if (node?.range) {
        const pos = lineCounter.linePos(node.range[0]);
        where = `:${pos.line}:${pos.col}`;
        break;
      }
    }
    problems.push(`${file}${where}: ${formatPath(issue.path)}: ${issue.message}`);
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

/** Topic → file for one directory; two files claiming one topic (or alias) is an error. */
function byTopic(sources: MappingSource[], problems: string[]): Map<string, MappingSource> {
  const map = new Map<string, MappingSource>();
  for (const s of sources) {
    for (const key of [s.spec.topic, ...s.spec.aliases]) {
      const other = map.get(key);
      if (other) problems.push(`${s.file}: topic: "${key}" is already mapped by ${other.file}`);
      else map.set(key, s);
    }
  }
  return map;
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
            `${s.file}: metrics[${i}].${key}: ${m.name} is declared with ${key} ${JSON.stringify(prev.decl[key])} in ${prev.file}; a metric name must mean one thing`,
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
}

/** Read, validate and compile the mapping files; throws MappingError listing every problem. */
export function loadMappings(options: LoadOptions = {}): LoadedMappings {
  const problems: string[] = [];
  const builtin = byTopic(readDir(options.builtinDir ?? BUILTIN_MAPPINGS_DIR, 'built-in', problems), problems);
  const custom = options.customDir ? byTopic(readDir(options.customDir, 'custom', problems), problems) : new Map<string, MappingSource>();

  // A custom file replaces the built-in file of its topic as a whole (aliases included).
  const replaced = new Set([...custom.values()].map((s) => s.spec.topic));
  const effective = new Map<string, MappingSource>();
  for (const [key, s] of builtin) if (!replaced.has(s.spec.topic) && !custom.has(key)) effective.set(key, s);
  for (const [key, s] of custom) effective.set(key, s);

  const sources = [...new Set(effective.values())];
  if (!effective.has(DEFAULT_TOPIC)) problems.push(`no mapping file for topic "${DEFAULT_TOPIC}" (the default for unknown topics)`);
  const metrics = declarations(sources, problems);
  for (const s of sources) {
    s.spec.metrics.forEach((m, i) => {
      if (m.name === EVENTS_METRIC) problems.push(`${s.file}: metrics[${i}].name: ${EVENTS_METRIC} is built in`);
    });
  }
  if (problems.length > 0) throw new MappingError(problems);

  const compiled = new Map<MappingSource, TopicMapping>(sources.map((s) => [s, compileMapping(s.spec)]));
  const topics = new Map<string, TopicMapping>();
  for (const [key, s] of effective) if (key !== DEFAULT_TOPIC) topics.set(key, compiled.get(s)!);
  return {
    // By topic, the default ("*") last.
    sources: sources.sort((a, b) => (a.spec.topic === DEFAULT_TOPIC ? 1 : b.spec.topic === DEFAULT_TOPIC ? -1 : a.spec.topic.localeCompare(b.spec.topic))),
    engine: new MappingEngine(topics, compiled.get(effective.get(DEFAULT_TOPIC)!)!),
    metrics,
  };
}
