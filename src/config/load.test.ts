import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../package-root.js';
import { ENV_VARIABLES } from './env.js';
import { ConfigError, keyLabel, loadConfig } from './load.js';

const signed = { MIST_WEBHOOK_SECRET: 's3cret' };

function tempFile(text: string, name = 'config.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mob-config-')), name);
  writeFileSync(file, text);
  return file;
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A value at a dotted key. */
function at(tree: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], tree);
}

describe('loadConfig', () => {
  it('starts from the schema defaults', () => {
    const c = loadConfig({ env: signed });
    expect(c.server).toMatchObject({ host: '0.0.0.0', port: 4320, path: '/mist/webhook', shutdownTimeoutMs: 10000 });
    expect(c.security).toEqual({ secrets: ['s3cret'], allowSha1: false, allowUnsigned: false });
    // Durable by default: `npm start` keeps accepted deliveries on disk until they are exported.
    expect(c.durability.dir).toBe('data');
    expect(loadConfig({ env: { ...signed, MIST_BRIDGE_DATA_DIR: '' } }).durability.dir).toBeNull();
    expect(c.otlp).toMatchObject({ endpoint: 'http://localhost:4318', protocol: 'http/protobuf', compression: 'none', timeoutMs: 10000, headers: {} });
    expect(c.resource).toEqual({ serviceName: null, attributes: {} });
    // Defaults are fresh per load: one configuration cannot change another's.
    c.dedup.ignoreFields.push('x');
    expect(loadConfig({ env: signed }).dedup.ignoreFields).toEqual(['webhook_id', 'for_site']);
  });

  it('overlays a --config file, then the environment', () => {
    const file = tempFile('server:\n  port: 5000\n  path: /hooks/mist\nsecurity:\n  allowSha1: true\n');
    const c = loadConfig({ file, env: { ...signed, MIST_BRIDGE_PORT: '6000' } });
    expect(c.server.port).toBe(6000);
    expect(c.server.path).toBe('/hooks/mist');
    expect(c.security.allowSha1).toBe(true);
  });

  it('reads every variable the README documents, each onto its key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mob-pem-'));
    const pem = (name: string) => {
      const file = join(dir, name);
      writeFileSync(file, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
      return file;
    };
    // variable → [text, key, value it must land as]
    const cases: Record<string, [string, string, unknown]> = {
      MIST_WEBHOOK_SECRET: [' old , new ', 'security.secrets', ['old', 'new']],
      MIST_BRIDGE_ALLOW_UNSIGNED: ['yes', 'security.allowUnsigned', true],
      MIST_BRIDGE_ALLOW_SHA1: ['true', 'security.allowSha1', true],
      MIST_BRIDGE_HOST: ['127.0.0.1', 'server.host', '127.0.0.1'],
      MIST_BRIDGE_PORT: ['8080', 'server.port', 8080],
      MIST_BRIDGE_PATH: ['/in', 'server.path', '/in'],
      MIST_BRIDGE_MAX_BODY_BYTES: ['1024', 'server.maxBodyBytes', 1024],
      MIST_BRIDGE_MAPPINGS_DIR: ['my-mappings', 'mappings.dir', 'my-mappings'],
      MIST_BRIDGE_LOG_LEVEL: ['debug', 'log.level', 'debug'],
      MIST_BRIDGE_SESSIONS: ['off', 'sessions.enabled', false],
      MIST_BRIDGE_SESSIONS_MAX: ['10', 'sessions.maxSessions', 10],
      MIST_BRIDGE_SESSIONS_MAX_AGE_MS: ['60000', 'sessions.maxAgeMs', 60000],
      MIST_BRIDGE_SESSIONS_SETTLE_MS: ['0', 'sessions.settleMs', 0],
      MIST_BRIDGE_DATA_DIR: ['/var/lib/x', 'durability.dir', '/var/lib/x'],
      MIST_BRIDGE_DATA_MAX_BYTES: ['2048', 'durability.maxBytes', 2048],
      MIST_BRIDGE_DATA_SYNC: ['full', 'durability.synchronous', 'full'],
      MIST_BRIDGE_DEDUP_WINDOW: ['0', 'dedup.windowSeconds', 0],
      MIST_BRIDGE_WEBHOOK: ['true', 'webhook.enabled', true],
      MIST_BRIDGE_IDLE_SOCKET_TIMEOUT_MS: ['1500', 'server.idleSocketTimeoutMs', 1500],
      MIST_API_TOKEN: ['tok-1234', 'mist.apiToken', 'tok-1234'],
      MIST_API_URL: ['EMEA 01', 'mist.apiUrl', 'https://api.eu.mist.com'],
      MIST_ORG_ID: ['9777c1a0-6ef6-11e6-8bbf-02e208b2d34f', 'mist.orgId', '9777c1a0-6ef6-11e6-8bbf-02e208b2d34f'],
      MIST_API_BUDGET_SHARE: ['0.25', 'mist.budgetShare', 0.25],
      MIST_BRIDGE_STREAM: ['true', 'stream.enabled', true],
      MIST_WS_URL: ['wss://stream.example/api-ws/v1/stream', 'stream.wsUrl', 'wss://stream.example/api-ws/v1/stream'],
      MIST_SITE_IDS: ['4ac1dcf4-9d8b-7211-65c4-057819f0862b', 'stream.siteIds', ['4ac1dcf4-9d8b-7211-65c4-057819f0862b']],
      MIST_STREAM_SITES_REFRESH_MS: ['60000', 'stream.sitesRefreshMs', 60000],
      MIST_STREAM_CHANNELS: ['stats/devices', 'stream.channels', ['stats/devices']],
      MIST_STREAM_IDLE_TIMEOUT_MS: ['45000', 'stream.idleTimeoutMs', 45000],
      MIST_STREAM_DEVICE_TTL_MS: ['300000', 'stream.deviceTtlMs', 300000],
      MIST_BRIDGE_SLE: ['false', 'sle.enabled', false],
      MIST_BRIDGE_SLE_INTERVAL_MS: ['300000', 'sle.intervalMs', 300000],
      MIST_BRIDGE_SLE_CLASSIFIERS: ['on', 'sle.classifiers', true],
      MIST_BRIDGE_SLE_BACKFILL_HOURS: ['6', 'sle.backfillHours', 6],
      MIST_BRIDGE_INSPECT: ['true', 'inspect.enabled', true],
      MIST_BRIDGE_INSPECT_TOKEN: ['a-long-enough-token', 'inspect.token', 'a-long-enough-token'],
      MIST_BRIDGE_INSPECT_MAX_ENTRIES: ['50', 'inspect.maxEntries', 50],
      OTEL_METRIC_EXPORT_INTERVAL: ['5000', 'export.metricsIntervalMs', 5000],
      OTEL_METRICS_EXPORTER: [' Prometheus ', 'exporters.metrics', 'prometheus'],
      OTEL_LOGS_EXPORTER: ['console', 'exporters.logs', 'console'],
      OTEL_TRACES_EXPORTER: ['NONE', 'exporters.traces', 'none'],
      OTEL_EXPORTER_PROMETHEUS_HOST: ['127.0.0.1', 'exporters.prometheusHost', '127.0.0.1'],
      OTEL_EXPORTER_PROMETHEUS_PORT: ['9465', 'exporters.prometheusPort', 9465],
      OTEL_BLRP_SCHEDULE_DELAY: ['200', 'export.logsScheduleDelayMs', 200],
      OTEL_BSP_SCHEDULE_DELAY: ['300', 'export.spansScheduleDelayMs', 300],
      OTEL_EXPORTER_OTLP_ENDPOINT: ['https://otlp.example:4318', 'otlp.endpoint', 'https://otlp.example:4318'],
      OTEL_EXPORTER_OTLP_PROTOCOL: ['http/json', 'otlp.protocol', 'http/json'],
      OTEL_EXPORTER_OTLP_HEADERS: ['api-key=a%2Cb%3D', 'otlp.headers', { 'api-key': 'a,b=' }],
      OTEL_EXPORTER_OTLP_COMPRESSION: ['gzip', 'otlp.compression', 'gzip'],
      OTEL_EXPORTER_OTLP_TIMEOUT: ['7000', 'otlp.timeoutMs', 7000],
      OTEL_EXPORTER_OTLP_CERTIFICATE: [pem('ca.pem'), 'otlp.certificate', join(dir, 'ca.pem')],
      OTEL_EXPORTER_OTLP_CLIENT_KEY: [pem('key.pem'), 'otlp.clientKey', join(dir, 'key.pem')],
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: [pem('cert.pem'), 'otlp.clientCertificate', join(dir, 'cert.pem')],
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: ['Delta', 'otlp.metrics.temporality', 'delta'],
      OTEL_SERVICE_NAME: ['mist-lab', 'resource.serviceName', 'mist-lab'],
      OTEL_RESOURCE_ATTRIBUTES: ['deployment.environment=lab,team=net%20ops', 'resource.attributes', { 'deployment.environment': 'lab', team: 'net ops' }],
    };
    for (const [signal, name] of [
      ['logs', 'LOGS'],
      ['metrics', 'METRICS'],
      ['traces', 'TRACES'],
    ] as const) {
      cases[`OTEL_EXPORTER_OTLP_${name}_ENDPOINT`] = [`http://${signal}.example/in`, `otlp.${signal}.endpoint`, `http://${signal}.example/in`];
      cases[`OTEL_EXPORTER_OTLP_${name}_PROTOCOL`] = ['http/protobuf', `otlp.${signal}.protocol`, 'http/protobuf'];
      cases[`OTEL_EXPORTER_OTLP_${name}_HEADERS`] = [`x-${signal}=1`, `otlp.${signal}.headers`, { [`x-${signal}`]: '1' }];
      cases[`OTEL_EXPORTER_OTLP_${name}_COMPRESSION`] = ['none', `otlp.${signal}.compression`, 'none'];
      cases[`OTEL_EXPORTER_OTLP_${name}_TIMEOUT`] = ['2000', `otlp.${signal}.timeoutMs`, 2000];
      cases[`OTEL_EXPORTER_OTLP_${name}_CERTIFICATE`] = [pem(`${signal}-ca.pem`), `otlp.${signal}.certificate`, join(dir, `${signal}-ca.pem`)];
      cases[`OTEL_EXPORTER_OTLP_${name}_CLIENT_KEY`] = [pem(`${signal}-key.pem`), `otlp.${signal}.clientKey`, join(dir, `${signal}-key.pem`)];
      cases[`OTEL_EXPORTER_OTLP_${name}_CLIENT_CERTIFICATE`] = [pem(`${signal}-cert.pem`), `otlp.${signal}.clientCertificate`, join(dir, `${signal}-cert.pem`)];
    }

    // Every variable the README's table names (brace forms expanded) is among the cases, and so is every variable the schema reads.
    const readme = readFileSync(packagePath('README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('<!-- config:begin -->'), readme.indexOf('<!-- config:end -->'));
    const documented = [...table.matchAll(/\| `[^`]+` \| `([A-Z0-9_{},]+)` \|/g)].flatMap((m) => {
      const brace = /^(.*)\{([^}]+)\}(.*)$/.exec(m[1]!);
      return brace ? brace[2]!.split(',').map((mid) => brace[1]! + mid + brace[3]!) : [m[1]!];
    });
    expect(new Set(documented)).toEqual(new Set(Object.keys(cases)));
    expect(new Set(Object.keys(ENV_VARIABLES))).toEqual(new Set(Object.keys(cases)));

    const c = loadConfig({ env: Object.fromEntries(Object.entries(cases).map(([name, [text]]) => [name, text])) });
    for (const [name, [, key, value]] of Object.entries(cases)) {
      expect(ENV_VARIABLES[name]?.[0], name).toBe(key);
      expect(at(c, key), name).toEqual(value);
      expect(keyLabel(c, key)).toBe(`${name} (${key})`);
    }
  });

  it('takes an empty OTEL_* variable as unset, as the specification says', () => {
    const c = loadConfig({
      env: { ...signed, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TIMEOUT: ' ', OTEL_EXPORTER_OTLP_HEADERS: '', OTEL_SERVICE_NAME: '' },
    });
    expect(c.otlp).toMatchObject({ endpoint: 'http://localhost:4318', timeoutMs: 10000, headers: {} });
    expect(c.resource.serviceName).toBeNull();
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
    expect(problems(() => loadConfig({ env: { ...signed, MIST_BRIDGE_PORT: '70000' } }))).toEqual([
      'MIST_BRIDGE_PORT (server.port): Too big: expected number to be <=65535',
    ]);
  });

  it('blames an environment variable, not the --config file beside it', () => {
    const file = tempFile('server:\n  port: 5000\n');
    expect(problems(() => loadConfig({ file, env: { ...signed, MIST_BRIDGE_PORT: '99999' } }))).toEqual([
      'MIST_BRIDGE_PORT (server.port): Too big: expected number to be <=65535',
    ]);
    expect(problems(() => loadConfig({ file, env: { ...signed, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' } }))).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT (otlp.endpoint): "collector:4318" has no http:// or https:// scheme: write http://collector:4318 (or https://)',
    ]);
  });

  it('names the file, line and key for a bad file value or an unknown key', () => {
    const badPort = tempFile('server:\n  port: 70000\n');
    expect(problems(() => loadConfig({ file: badPort, env: signed }))).toEqual([`${badPort}:2:9: server.port: Too big: expected number to be <=65535`]);
    const typo = tempFile('server:\n  prot: 1\n');
    expect(problems(() => loadConfig({ file: typo, env: signed }))).toEqual([`${typo}:2:3: server.prot: unknown key (did you mean server.port?)`]);
    const badPath = tempFile('server:\n  path: mist\n');
    expect(() => loadConfig({ file: badPath, env: signed })).toThrow(/server\.path: must start with "\/"/);
  });

  it('reports every offending key at once, each from where it came', () => {
    const file = tempFile('export:\n  retryInitialMs: 60000\nserver:\n  headersTimeoutMs: 40000\n  requestTimeoutMs: 30000\nsessions:\n  enabled: perhaps\n');
    const found = problems(() =>
      loadConfig({
        file,
        env: {
          ...signed,
          MIST_BRIDGE_PORT: 'eighty',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_EXPORTER_OTLP_COMPRESSION: 'br',
          OTEL_RESOURCE_ATTRIBUTES: 'a=1,b',
        },
      }),
    );
    expect(found).toEqual([
      'MIST_BRIDGE_PORT (server.port): expected an integer, got "eighty"',
      'OTEL_RESOURCE_ATTRIBUTES (resource.attributes): entry 2 "b": expected key=value, with any "," or "=" inside a key or value percent-encoded (%2C, %3D)',
      `${file}:4:21: server.headersTimeoutMs (40000) is longer than server.requestTimeoutMs (30000); the headers are part of the request, so their limit cannot exceed the whole request's`,
      `${file}:2:19: export.retryInitialMs (60000) is longer than export.retryMaxMs (30000); the first retry delay cannot exceed the longest`,
      'OTEL_EXPORTER_OTLP_PROTOCOL (otlp.protocol): grpc is not supported: use http/protobuf (the default) or http/json, OTLP over HTTP (a collector listens for it on port 4318)',
      'OTEL_EXPORTER_OTLP_COMPRESSION (otlp.compression): "br" is not supported: use none or gzip',
      `${file}:7:12: sessions.enabled: Invalid input: expected boolean, received string`,
    ]);
  });

  it('with the journal in memory only, wants a stop long enough for one export attempt', () => {
    const memory = { ...signed, MIST_BRIDGE_DATA_DIR: '' };
    expect(problems(() => loadConfig({ env: { ...memory, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '30000' } }))).toEqual([
      'MIST_BRIDGE_DATA_DIR (durability.dir): server.shutdownTimeoutMs (10000 ms) is shorter than one OTLP export attempt (otlp.traces.timeoutMs, ' +
        'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: 30000 ms) while durability.dir is unset, so a stop that gives up on an export loses its records: make ' +
        'server.shutdownTimeoutMs at least the export timeout, lower the timeout, or keep a journal (durability.dir, MIST_BRIDGE_DATA_DIR)',
    ]);
    // Reported on the key the user set, where it was set.
    const file = tempFile('durability:\n  dir: null\nserver:\n  shutdownTimeoutMs: 2000\n');
    expect(problems(() => loadConfig({ file, env: signed }))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file}:4:22: server\\.shutdownTimeoutMs \\(2000 ms\\) is shorter than one OTLP export attempt \\(otlp\\.timeoutMs, OTEL_EXPORTER_OTLP_TIMEOUT: 10000 ms\\)`,
        ),
      ),
    ]);
    expect(loadConfig({ env: { ...memory, OTEL_EXPORTER_OTLP_TIMEOUT: '10000' } }).server.shutdownTimeoutMs).toBe(10000);
    // With a journal, what a short stop leaves is exported at the next start: allowed.
    expect(
      loadConfig({ env: { ...signed, OTEL_EXPORTER_OTLP_TIMEOUT: '30000' }, overrides: { server: { shutdownTimeoutMs: 300 } } }).server.shutdownTimeoutMs,
    ).toBe(300);
  });

  it('never echoes a secret in an error', () => {
    const found = problems(() =>
      loadConfig({
        env: { ...signed, OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%zzTOPSECRET,x-api-key', OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'TOPSECRET2' },
      }),
    );
    expect(found).toEqual([
      'OTEL_EXPORTER_OTLP_HEADERS (otlp.headers): header "authorization": the value is not valid percent-encoding (a literal "%" is %25)',
      'OTEL_EXPORTER_OTLP_LOGS_HEADERS (otlp.logs.headers): entry 1 has no "=" (expected name=value, comma-separated)',
    ]);
    expect(found.join('\n')).not.toMatch(/TOPSECRET/);
    const endpoints = problems(() =>
      loadConfig({
        env: { ...signed, OTEL_EXPORTER_OTLP_ENDPOINT: 'user:TOPSECRET@collector:4318', OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'collector/v1/logs?token=TOPSECRET' },
      }),
    );
    expect(endpoints).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT (otlp.endpoint): the URL has no http:// or https:// scheme (expected http://host:port or https://host)',
      'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT (otlp.logs.endpoint): the URL has no http:// or https:// scheme (expected http://host:port or https://host)',
    ]);
    expect(() => loadConfig({ env: { MIST_WEBHOOK_SECRET: 'TOPSECRET' }, overrides: { security: { secrets: ['TOPSECRET', ''] } } })).toThrow(
      new ConfigError('security.secrets.1: an empty secret is not a secret'),
    );
  });

  it('reports an unreadable or non-YAML file in one line', () => {
    expect(problems(() => loadConfig({ file: '/nonexistent/x.yaml', env: signed }))).toEqual(['cannot read config file /nonexistent/x.yaml: ENOENT']);
    const broken = tempFile('server: [unclosed');
    expect(problems(() => loadConfig({ file: broken, env: signed }))).toEqual([
      expect.stringMatching(new RegExp(`^${broken}:1:\\d+: not valid YAML: [^\\n]+$`)),
    ]);
  });
});
