import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../package-root.js';
import { loadMappings } from './loader.js';
import { BEGIN_MARKER, builtinTable, END_MARKER, withTable } from './table.js';

describe('README telemetry reference', () => {
  it('is what mappings/ generates (run `npm run docs:mappings` after changing a mapping file)', () => {
    const readme = readFileSync(packagePath('README.md'), 'utf8');
    expect(readme).toContain(BEGIN_MARKER);
    expect(withTable(readme, builtinTable())).toBe(readme);
  });

  it('lists every metric name and unit of every built-in file', () => {
    const table = builtinTable();
    const { metrics } = loadMappings();
    for (const m of metrics) {
      expect(table).toContain(`| \`${m.name}\` | ${m.instrument === 'gauge' ? `gauge (${m.gauge})` : m.instrument} | \`${m.unit}\` |`);
    }
  });

  it('replaces only the text between the markers', () => {
    const doc = `intro\n${BEGIN_MARKER}\nold\n${END_MARKER}\noutro\n`;
    expect(withTable(doc, 'new')).toBe(`intro\n${BEGIN_MARKER}\nnew\n${END_MARKER}\noutro\n`);
    expect(() => withTable('no markers', 'x')).toThrow(/mappings:begin/);
  });
});
