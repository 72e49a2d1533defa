import { EVENTS_DECLARATION, loadMappings, type MappingSource } from './loader.js';
import { type MappingFile, type ValueSpec, WEBHOOK } from './schema.js';

/**
 * The README's telemetry reference, generated from the mapping files so the two cannot drift:
 * `npm run docs:mappings` rewrites it, and a test fails when README.md and the files differ.
 */

export const BEGIN_MARKER = '<!-- mappings:begin -->';
export const END_MARKER = '<!-- mappings:end -->';

function code(s: string): string {
  return '`' + s + '`';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** How an attribute's value is derived, in a few words. */
function source(v: ValueSpec | number): string {
  if (typeof v === 'number') return code(String(v));
  if (typeof v === 'string') return code(v);
  if (Array.isArray(v)) return v.map(code).join(' or ');
  if (v.rules !== undefined) return 'derived';
  if (v.value !== undefined) return code(String(v.value));
  return source(v.field!) + (v.map ? ' (mapped)' : '');
}

function attributes(attrs: Record<string, ValueSpec>): string {
  const entries = Object.entries(attrs);
  if (entries.length === 0) return '—';
  return entries
    .map(([name, v]) =>
      typeof v === 'object' && !Array.isArray(v) && v.value !== undefined ? `${code(name)} = ${code(String(v.value))}` : `${code(name)} ← ${source(v)}`,
    )
    .join(', ');
}

/** How a metric's points are made, in the instrument column. */
function instrumentText(m: MappingFile['metrics'][number], subject: boolean): string {
  if (m.aggregate === 'count') return 'gauge (count of live subjects)';
  if (m.aggregate === 'sum') return m.instrument === 'gauge' ? 'gauge (sum over live subjects)' : "counter (observed, sum of subjects' increases)";
  if (m.aggregate === 'latest') return 'histogram (latest value of each live subject)';
  if (m.instrument === 'gauge' && subject) return "gauge (the subject's latest, at its report's time)";
  if (m.instrument === 'gauge') return `gauge (${m.gauge ?? 'sample'}${m.identity ? `, one series per ${m.identity.map(code).join(' + ')}` : ''})`;
  if (m.instrument === 'counter' && m.counter === 'observed') return 'counter (observed)';
  return m.instrument;
}

export function renderTable(sources: readonly MappingSource[]): string {
  const rows: string[] = [
    '| topic | signal | name | instrument | unit | attributes |',
    '|---|---|---|---|---|---|',
    `| every topic | metric | ${code(EVENTS_DECLARATION.name)} | counter | ${code(EVENTS_DECLARATION.unit)} | ${code('mist.topic')}, ${code('mist.event_type')} ← the topic's type field, ${code('mist.severity')} ← its severity field (lower case) where it has one |`,
  ];
  for (const s of sources) {
    const spec = s.spec;
    const topic =
      spec.source !== WEBHOOK
        ? `${spec.source} ${code(spec.kind)}`
        : spec.topic === '*'
          ? 'any other topic'
          : [spec.topic, ...spec.aliases].map(code).join(', ');
    if (spec.log === false) {
      rows.push(`| ${topic} | log | none: metrics only | | | |`);
    } else {
      const levels = [...new Set([spec.log.severity.default, ...spec.log.severity.rules.map((r) => r.level)])].join('/');
      const names = spec.source === WEBHOOK ? code('mist.topic') : `${code('mist.source')}, ${code('mist.kind')}`;
      rows.push(
        `| ${topic} | log | ${code(spec.log.event_name)} | severity ${levels} | | ${code('mist.<field>')} for every field, ${names}, ${code('event.name')} |`,
      );
    }
    if (spec.subject) {
      const t = spec.subject.ttl;
      const fallback = typeof t === 'object' && !Array.isArray(t) && t.default !== undefined ? ` (${t.default} s without it)` : '';
      const ttl = typeof t === 'number' ? `${t} s` : `${source(t)} seconds${fallback}`;
      rows.push(
        `| ${topic} | subject | ${source(spec.subject.key)} (in memory only) | forgotten after ${cell(ttl)} without a message | | on every metric below: ${cell(attributes(spec.subject.attributes))} |`,
      );
    }
    for (const m of spec.metrics) {
      const levels = m.each === undefined ? [] : typeof m.each === 'string' ? [m.each] : m.each;
      const per = levels.length > 0 ? ` (one per ${levels.map(code).join(' › ')} element)` : '';
      const own = Object.keys(m.attributes).length > 0 || !spec.subject ? attributes(m.attributes) : '';
      const text = spec.subject ? (own ? `the subject's, ${own}` : "the subject's") : own;
      rows.push(`| ${topic} | metric | ${code(m.name)} | ${instrumentText(m, spec.subject !== undefined)} | ${code(m.unit)} | ${cell(text)}${per} |`);
    }
    const traces = spec.trace === undefined ? [] : Array.isArray(spec.trace) ? spec.trace : [spec.trace];
    for (const t of traces) {
      rows.push(`| ${topic} | trace | role ${code(t.role)} | | | ${cell(Object.keys(t.attributes).map(code).join(', ') || '—')} |`);
    }
  }
  const descriptions = sources.flatMap((s) => s.spec.metrics.map((m) => `| ${code(m.name)} | ${cell(m.description)} |`));
  return [
    ...rows,
    '',
    '| metric | meaning |',
    '|---|---|',
    `| ${code(EVENTS_DECLARATION.name)} | ${EVENTS_DECLARATION.description} |`,
    ...[...new Set(descriptions)],
  ].join('\n');
}

/** README text with the generated section replaced. */
export function withTable(readme: string, table: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN_MARKER} … ${END_MARKER} section`);
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n${table}\n${readme.slice(end)}`;
}

export function builtinTable(): string {
  return renderTable(loadMappings().sources);
}
