/**
 * The shape issue 12 asked for, checked on the source itself: data flows one way through the top
 * folders of src/ (no folder imports one that imports it back), and the stages after the sources
 * know no source — nothing under them names the webhook envelope, a topic-specific field or a
 * journal seq.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'testdata' ? [] : files(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** Top folder of a file under src/ (a file directly in src/ is its own unit, e.g. `bridge.ts`). */
const unit = (file: string) => relative(SRC, file).split('/')[0]!;

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;

function edges(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files(SRC)) {
    const from = unit(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = unit(resolve(dirname(file), m[1]!));
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const visit = (node: string, path: string[]) => {
    for (const next of graph.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) found.push([...path.slice(at), next]);
      else visit(next, [...path, next]);
    }
  };
  for (const node of graph.keys()) visit(node, [node]);
  return [...new Map(found.map((c) => [[...c.slice(0, -1)].sort().join(' ↔ '), c])).values()];
}

describe('the code base', () => {
  it('has no import cycle between the top folders of src/', () => {
    const graph = edges();
    expect(graph.size).toBeGreaterThan(10);
    expect(cycles(graph)).toEqual([]);
  });

  it('has the stages after the sources name no source, envelope, topic field or journal seq', () => {
    const stages = ['dedup', 'durability', 'processing', 'mapping', 'sessions', 'signals', 'export', 'acks'];
    const offenders: string[] = [];
    for (const file of files(SRC).filter((f) => stages.includes(unit(f)))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT)) {
        if (resolve(dirname(file), m[1]!).startsWith(join(SRC, 'sources') + '/') && !m[1]!.endsWith('/contract.js'))
          offenders.push(`${relative(SRC, file)} imports ${m[1]}`);
      }
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/\bEnvelope\b|decodeEnvelope/.test(code)) offenders.push(`${relative(SRC, file)} names the webhook envelope`);
      if (/\bseq\b/.test(code) && unit(file) !== 'durability') offenders.push(`${relative(SRC, file)} names a journal seq`);
    }
    expect(offenders).toEqual([]);
  });
});
