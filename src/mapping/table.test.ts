import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      const row = table.split('\n').find((line) => line.includes(`| \`${m.name}\` | ${m.instrument}`));
      expect(row, m.name).toMatch(new RegExp(`\\| \`${m.unit.replace(/[{}/]/g, '\\$&')}\` \\|`));
    }
  });

  it('replaces only the text between the markers', () => {
    const doc = `intro\n${BEGIN_MARKER}\nold\n${END_MARKER}\noutro\n`;
    expect(withTable(doc, 'new')).toBe(`intro\n${BEGIN_MARKER}\nnew\n${END_MARKER}\noutro\n`);
    expect(() => withTable('no markers', 'x')).toThrow(/mappings:begin/);
  });

  it('the example file in "Custom mappings" is a valid mapping file', () => {
    const readme = readFileSync(packagePath('README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Custom mappings'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'mist-readme-example-'));
    try {
      writeFileSync(join(dir, 'example.yaml'), example);
      const { engine } = loadMappings({ customDir: dir });
      const out = engine.map('webhook', 'door-sensors', { type: 'OPENED', state: 'open', door: { name: 'north' }, battery_pct: 80, timestamp: 1750000000 }, 1n);
      expect(out.metrics.map((m) => m.name)).toEqual(['mist.events', 'mist.door.openings', 'mist.door.battery']);
      expect(out.trace.map((t) => t.role)).toEqual(['join']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
