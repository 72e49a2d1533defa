import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load.js';

const signed = { MIST_WEBHOOK_SECRET: 's3cret' };

function tempFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mob-config-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('starts from config/default.yaml', () => {
    const c = loadConfig({ env: signed });
    expect(c.server).toMatchObject({ host: '0.0.0.0', port: 4320, path: '/mist/webhook' });
    expect(c.security).toEqual({ secrets: ['s3cret'], allowSha1: false, allowUnsigned: false });
    // Durable by default: `npm start` keeps accepted deliveries on disk until they are exported.
    expect(c.durability.dir).toBe('data');
    expect(loadConfig({ env: { ...signed, MIST_BRIDGE_DATA_DIR: '' } }).durability.dir).toBeNull();
  });

  it('overlays a --config file, then the environment', () => {
    const file = tempFile('server:\n  port: 5000\n  path: /hooks/mist\nsecurity:\n  allowSha1: true\n');
    const c = loadConfig({ file, env: { ...signed, MIST_BRIDGE_PORT: '6000' } });
    expect(c.server.port).toBe(6000);
    expect(c.server.path).toBe('/hooks/mist');
    expect(c.security.allowSha1).toBe(true);
  });

  it('reads every documented variable', () => {
    const c = loadConfig({
      env: {
        MIST_WEBHOOK_SECRET: ' old , new ',
        MIST_BRIDGE_HOST: '127.0.0.1',
        MIST_BRIDGE_PORT: '8080',
        MIST_BRIDGE_PATH: '/in',
        MIST_BRIDGE_ALLOW_UNSIGNED: 'false',
        OTEL_METRIC_EXPORT_INTERVAL: '5000',
        OTEL_BLRP_SCHEDULE_DELAY: '200',
        OTEL_BSP_SCHEDULE_DELAY: '300',
      },
    });
    expect(c.security.secrets).toEqual(['old', 'new']);
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080, path: '/in' });
    expect(c.export).toMatchObject({ metricsIntervalMs: 5000, logsScheduleDelayMs: 200, spansScheduleDelayMs: 300 });
  });

  it('refuses to start without a secret, and says how to fix it', () => {
    expect(() => loadConfig({ env: {} })).toThrow(/MIST_WEBHOOK_SECRET.*MIST_BRIDGE_ALLOW_UNSIGNED=true/s);
    expect(loadConfig({ env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true' } }).security.allowUnsigned).toBe(true);
  });

  it('names the variable and the problem for a bad environment value', () => {
    expect(() => loadConfig({ env: { ...signed, MIST_BRIDGE_PORT: 'eighty' } })).toThrow(
      new ConfigError('MIST_BRIDGE_PORT (server.port): expected an integer, got "eighty"'),
    );
    expect(() => loadConfig({ env: { ...signed, MIST_BRIDGE_ALLOW_UNSIGNED: 'maybe' } })).toThrow(/MIST_BRIDGE_ALLOW_UNSIGNED.*true or false/);
  });

  it('names the key and the problem for a bad file value or an unknown key', () => {
    const badPort = tempFile('server:\n  port: 70000\n');
    expect(() => loadConfig({ file: badPort, env: signed })).toThrow(/server\.port: .*65535/);
    const typo = tempFile('server:\n  prot: 1\n');
    expect(() => loadConfig({ file: typo, env: signed })).toThrow(/server.*prot/);
    const badPath = tempFile('server:\n  path: mist\n');
    expect(() => loadConfig({ file: badPath, env: signed })).toThrow(/server\.path: must start with "\/"/);
  });

  it('reports an unreadable or non-YAML file', () => {
    expect(() => loadConfig({ file: '/nonexistent/x.yaml', env: signed })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ file: tempFile('server: [unclosed'), env: signed })).toThrow(/not valid YAML/);
  });
});
