import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../package-root.js';
import { pointAttributes } from './attributes.js';
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

  it('the stream example in "Stream files" is a valid mapping file that maps as it says', () => {
    const readme = readFileSync(packagePath('README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Stream files'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'mist-readme-stream-example-'));
    try {
      writeFileSync(join(dir, 'stream.yaml'), example);
      const { engine } = loadMappings({ customDir: dir });
      const message = {
        mac: 'ap1',
        name: 'lobby',
        type: 'ap',
        uptime: 100,
        _time: 1750000000,
        radio_stat: { band_5: { util_all: 12 }, band_6: { util_all: 50, disabled: true } },
        port_stat: { eth0: { rx_bytes: 5000 } },
      };
      const out = engine.map('stream', 'stats/devices', message, 1n, { site_id: 's1' });
      expect(out.metrics.map((m) => [m.name, m.value, pointAttributes(m), m.uptime])).toEqual([
        [
          'mist.device.radio.utilization',
          0.12,
          { 'mist.site_id': 's1', 'mist.device_mac': 'ap1', 'mist.device_name': 'lobby', 'mist.device_type': 'ap', 'mist.band': '5' },
          undefined,
        ],
        [
          'mist.device.network.io',
          5000,
          {
            'mist.site_id': 's1',
            'mist.device_mac': 'ap1',
            'mist.device_name': 'lobby',
            'mist.device_type': 'ap',
            'network.interface.name': 'eth0',
            'network.io.direction': 'receive',
          },
          100,
        ],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
