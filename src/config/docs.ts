import { stringify } from 'yaml';
import { configSchema } from './schema.js';
import { describeSchema, type SectionEntry, type SettingEntry } from './setting.js';

/**
 * config/default.yaml and the README's configuration table, generated from the schema so that
 * neither can drift from the defaults the bridge really uses: `npm run docs:config` rewrites
 * both, and a test fails when either differs from what this renders.
 */

export const BEGIN_MARKER = '<!-- config:begin -->';
export const END_MARKER = '<!-- config:end -->';

const WIDTH = 100;

function name(key: string): string {
  return key.split('.').at(-1)!;
}

/** Markdown → comment text: links keep their words, code keeps its backticks. */
function plain(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1');
}

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(`${indent}# ${line}`);
  return lines;
}

function yamlValue(value: unknown): string {
  return stringify(value, { flowCollectionPadding: false, collectionStyle: 'flow' }).trimEnd();
}

function isSection(entry: SettingEntry | SectionEntry): entry is SectionEntry {
  return 'children' in entry;
}

/** Sibling sections of one shape (one per OTLP signal) are written briefly after the first. */
function yamlSection(entry: SectionEntry, depth: number, out: string[]): void {
  const indent = '  '.repeat(depth);
  for (const child of entry.children) {
    if (isSection(child)) {
      out.push('');
      if (child.meta.doc) out.push(...wrap(child.meta.doc, indent));
      out.push(`${indent}${name(child.key)}:`);
      yamlSection(child, depth + 1, out);
      continue;
    }
    const { meta } = child;
    const line = `${indent}${name(child.key)}: ${yamlValue(meta.default)}`;
    if (entry.meta.brief) {
      out.push(meta.env ? `${line}  # ${meta.env}` : line);
      continue;
    }
    const variable = meta.env ? `${meta.env}: ` : '';
    out.push(...wrap(variable + plain(meta.doc) + (meta.why ? `. ${meta.why}` : ''), indent), line);
  }
}

export function renderDefaultYaml(): string {
  const root = describeSchema(configSchema);
  const out = [
    '# mist-otel-bridge defaults, generated from the configuration schema (src/config/sections/) by',
    '# `npm run docs:config`: edit the schema, not this file. Copy what you change into your own',
    '# file for `--config FILE`; environment variables (named below) overlay both.',
  ];
  for (const section of root.children) {
    if (!isSection(section)) throw new Error(`${section.key}: top-level keys are sections`);
    out.push('');
    if (section.meta.doc) out.push(...wrap(section.meta.doc, ''));
    out.push(`${section.key}:`);
    yamlSection(section, 1, out);
  }
  return out.join('\n') + '\n';
}

function code(s: string): string {
  return '`' + s + '`';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function shownDefault(entry: SettingEntry): string {
  const { meta } = entry;
  if (meta.shownDefault) return meta.shownDefault;
  const v = meta.default;
  if (v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)) return '(none)';
  return code(yamlValue(v));
}

/** "otlp.logs.endpoint", "otlp.traces.endpoint" → "otlp.{logs,traces}.endpoint". */
export function brace(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  let pre = 0;
  while (names.every((n) => n[pre] === names[0]![pre]) && pre < names[0]!.length) pre++;
  let post = 0;
  while (post < names[0]!.length - pre && names.every((n) => n.length - post - 1 >= pre && n[n.length - post - 1] === names[0]![names[0]!.length - post - 1]))
    post++;
  // Cut at a separator so the braces hold whole words.
  const head = names[0]!.slice(0, pre);
  const cutPre = Math.max(head.lastIndexOf('.'), head.lastIndexOf('_')) + 1;
  const tail = names[0]!.slice(names[0]!.length - post);
  const cutPost = tail.length - Math.min(...['.', '_'].map((sep) => (tail.indexOf(sep) < 0 ? tail.length : tail.indexOf(sep))));
  const middles = names.map((n) => n.slice(cutPre, n.length - cutPost));
  return `${names[0]!.slice(0, cutPre)}{${middles.join(',')}}${names[0]!.slice(names[0]!.length - cutPost)}`;
}

function row(entries: SettingEntry[]): string {
  const first = entries[0]!;
  const variables = entries.map((e) => e.meta.env).filter((v): v is string => v !== undefined);
  const variable = variables.length === 0 ? '' : code(brace(variables));
  return `| ${code(brace(entries.map((e) => e.key)))} | ${variable} | ${cell(shownDefault(first))} | ${cell(first.meta.doc)} |`;
}

function tableRows(entry: SectionEntry, out: string[]): void {
  const children = entry.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (!isSection(child)) {
      out.push(row([child]));
      continue;
    }
    if (!child.meta.brief) {
      tableRows(child, out);
      continue;
    }
    // A run of brief sections (the OTLP signals): one row per key they share.
    const run: SectionEntry[] = [];
    while (i < children.length && isSection(children[i]!) && (children[i] as SectionEntry).meta.brief) run.push(children[i++] as SectionEntry);
    i--;
    const names = [...new Set(run.flatMap((s) => s.children.map((c) => name(c.key))))];
    for (const n of names) {
      out.push(row(run.flatMap((s) => s.children.filter((c): c is SettingEntry => !isSection(c) && name(c.key) === n))));
    }
  }
}

export function renderConfigTable(): string {
  const out = ['| key | variable | default | meaning |', '|---|---|---|---|'];
  tableRows(describeSchema(configSchema), out);
  return out.join('\n');
}

/** README text with the generated table in place of the old one. */
export function withConfigTable(readme: string, table: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN_MARKER} … ${END_MARKER} section`);
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n${table}\n${readme.slice(end)}`;
}
