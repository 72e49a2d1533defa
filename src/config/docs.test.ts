import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../package-root.js';
import { BEGIN_MARKER, brace, renderConfigTable, renderDefaultYaml, withConfigTable } from './docs.js';
import { loadConfig } from './load.js';

describe('the generated configuration reference (run `npm run docs:config` after changing src/config/sections/)', () => {
  it('config/default.yaml is what the schema renders', () => {
    expect(readFileSync(packagePath('config', 'default.yaml'), 'utf8')).toBe(renderDefaultYaml());
  });

  it("the README's table is what the schema renders", () => {
    const readme = readFileSync(packagePath('README.md'), 'utf8');
    expect(readme).toContain(BEGIN_MARKER);
    expect(withConfigTable(readme, renderConfigTable())).toBe(readme);
  });

  it('config/default.yaml, given as --config, changes nothing', () => {
    const env = { MIST_WEBHOOK_SECRET: 's' };
    expect(loadConfig({ file: packagePath('config', 'default.yaml'), env })).toEqual(loadConfig({ env }));
  });

  it('writes sibling keys in one row', () => {
    expect(brace(['otlp.logs.endpoint', 'otlp.metrics.endpoint', 'otlp.traces.endpoint'])).toBe('otlp.{logs,metrics,traces}.endpoint');
    expect(brace(['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'])).toBe('OTEL_EXPORTER_OTLP_{LOGS,TRACES}_TIMEOUT');
    expect(brace(['a.b'])).toBe('a.b');
  });
});
