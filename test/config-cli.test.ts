import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postDelivery } from './support/mist-client.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { outcomeOf } from './support/run-cli.js';
import { type ProcessUser, runBridgeProcess, spawnBridge } from './support/spawn-bridge.js';
import { useReceiver } from './support/use-receiver.js';

/**
 * Configuration that cannot work, through the real CLI: exit code 1 and one line on stderr per
 * problem, naming the variable (or file:line:col and key), never a stack trace.
 */

const dir = mkdtempSync(join(tmpdir(), 'mist-cli-config-'));
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
  rmSync(dir, { recursive: true, force: true });
});

const base = { MIST_BRIDGE_ALLOW_UNSIGNED: 'true' };
const NOBODY: ProcessUser = { uid: 65534, gid: 65534 };

async function run(env: Record<string, string>, args: string[] = [], user?: ProcessUser) {
  const child = runBridgeProcess({ ...base, ...env }, args, user);
  // A bridge that starts after all would listen until killed; the tests below expect an exit.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const { code, stderr: err } = await outcomeOf(child);
  clearTimeout(timer);
  return { code, lines: err.split('\n').filter((l) => l !== ''), err };
}

/** Exit 1, exactly one line, that line matching, and no stack trace. */
async function refused(env: Record<string, string>, line: RegExp, args: string[] = [], user?: ProcessUser) {
  const { code, lines, err } = await run(env, args, user);
  expect(err).not.toMatch(/\n\s+at |Error:/);
  expect(lines).toEqual([expect.stringMatching(line)]);
  expect(code).toBe(1);
  return lines[0]!;
}

describe('the bridge refuses to start, in one line naming the variable', () => {
  // One process per case: on a busy machine a start of tsx takes seconds.
  it.each<[string, Record<string, string>, RegExp]>([
    [
      'an endpoint without a scheme',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4419' },
      /^mist-otel-bridge: OTEL_EXPORTER_OTLP_ENDPOINT \(otlp\.endpoint\): "localhost:4419" has no http:\/\/ or https:\/\/ scheme: write http:\/\/localhost:4419/,
    ],
    [
      'an endpoint that is not a URL',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' },
      /^mist-otel-bridge: OTEL_EXPORTER_OTLP_ENDPOINT \(otlp\.endpoint\): "not a url" has no http:\/\/ or https:\/\/ scheme/,
    ],
    [
      'a per-signal endpoint without a scheme',
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318/v1/traces' },
      /^mist-otel-bridge: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \(otlp\.traces\.endpoint\): .* has no http:\/\/ or https:\/\/ scheme/,
    ],
    [
      'gRPC',
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /^mist-otel-bridge: OTEL_EXPORTER_OTLP_PROTOCOL \(otlp\.protocol\): grpc is not supported: use http\/protobuf \(the default\) or http\/json/,
    ],
    [
      'a timeout that is not a number',
      { OTEL_EXPORTER_OTLP_TIMEOUT: '10s' },
      /^mist-otel-bridge: OTEL_EXPORTER_OTLP_TIMEOUT \(otlp\.timeoutMs\): expected an integer, got "10s"$/,
    ],
    ['a zero timeout', { OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '0' }, /^mist-otel-bridge: OTEL_EXPORTER_OTLP_LOGS_TIMEOUT \(otlp\.logs\.timeoutMs\): Too small/],
    [
      'an unknown compression',
      { OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli' },
      /^mist-otel-bridge: OTEL_EXPORTER_OTLP_COMPRESSION \(otlp\.compression\): "brotli" is not supported: use none or gzip$/,
    ],
    [
      'resource attributes that do not parse',
      { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=lab,broken' },
      /^mist-otel-bridge: OTEL_RESOURCE_ATTRIBUTES \(resource\.attributes\): entry 2 "broken": expected key=value/,
    ],
    [
      'a host that does not resolve',
      { MIST_BRIDGE_HOST: 'no-such-host.invalid' },
      /^mist-otel-bridge: MIST_BRIDGE_HOST \(server\.host\): "no-such-host\.invalid" does not resolve to an address \((ENOTFOUND|EAI_AGAIN)\)$/,
    ],
  ])('%s', async (_, env, line) => {
    await refused(env, line);
  });

  it('headers that do not parse, without echoing a header value', async () => {
    const line = await refused(
      { OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=lab,authorization=Bearer%ZZsup3rsecret' },
      /^mist-otel-bridge: OTEL_EXPORTER_OTLP_HEADERS \(otlp\.headers\): header "authorization": the value is not valid percent-encoding/,
    );
    expect(line).not.toContain('sup3rsecret');
  });

  it('a data directory that is a file', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    await refused(
      { MIST_BRIDGE_DATA_DIR: join(file, 'journal') },
      new RegExp(`^mist-otel-bridge: MIST_BRIDGE_DATA_DIR \\(durability\\.dir\\): ${file} is a file, not a directory$`),
    );
  });

  it('a data directory on /proc, at once (Node used to spin at 100% CPU there, deaf to SIGTERM)', async () => {
    const started = Date.now();
    await refused(
      { MIST_BRIDGE_DATA_DIR: '/proc/mist-otel-bridge' },
      /^mist-otel-bridge: MIST_BRIDGE_DATA_DIR \(durability\.dir\): \/proc\/mist-otel-bridge is on \/proc \(procfs\), which cannot hold the journal/,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a data directory it cannot write', async () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    let user: ProcessUser | undefined;
    if (process.getuid?.() === 0) {
      // Root writes through file modes: a read-only mount stops it; without the right to mount,
      // the bridge runs as nobody, whom the file modes stop.
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro], { stdio: 'ignore' });
        cleanups.push(() => execFileSync('umount', [ro]));
      } catch {
        chmodSync(dir, 0o755);
        chownSync(ro, NOBODY.uid, NOBODY.gid);
        chmodSync(ro, 0o500);
        user = NOBODY;
      }
    } else {
      chmodSync(ro, 0o500);
    }
    await refused(
      { MIST_BRIDGE_DATA_DIR: join(ro, 'journal') },
      /^mist-otel-bridge: MIST_BRIDGE_DATA_DIR \(durability\.dir\): cannot create .*read-only\/journal \((EROFS|EACCES)\)$/,
      [],
      user,
    );
    await refused(
      { MIST_BRIDGE_DATA_DIR: ro },
      /^mist-otel-bridge: MIST_BRIDGE_DATA_DIR \(durability\.dir\): .*read-only is not writable \((EROFS|EACCES)\)$/,
      [],
      user,
    );
  }, 60_000);

  it('a port in use', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await refused(
        { MIST_BRIDGE_PORT: String(port) },
        new RegExp(`^mist-otel-bridge: MIST_BRIDGE_PORT \\(server\\.port\\): port ${port} on 127\\.0\\.0\\.1 is already in use by another process$`),
      );
    } finally {
      taken.close();
    }
  });

  it('blames the variable, not the --config file beside it; a file value with its line and column', async () => {
    const ports = join(dir, 'ports.yaml');
    writeFileSync(ports, 'server:\n  port: 5000\n');
    await refused({ MIST_BRIDGE_PORT: 'eighty' }, /^mist-otel-bridge: MIST_BRIDGE_PORT \(server\.port\): expected an integer, got "eighty"$/, [
      '--config',
      ports,
    ]);
    const config = join(dir, 'retries.yaml');
    writeFileSync(config, 'server:\n  port: 5000\nexport:\n  retryMaxMs: 100\n');
    await refused(
      {},
      new RegExp(
        `^mist-otel-bridge: ${config}:4:15: export\\.retryInitialMs \\(500\\) is longer than export\\.retryMaxMs \\(100\\); the first retry delay cannot exceed the longest$`,
      ),
      ['--config', config],
    );
  }, 60_000);

  it('every problem at once, one line each', async () => {
    const { code, lines, err } = await run({
      MIST_BRIDGE_PORT: 'eighty',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      MIST_BRIDGE_LOG_LEVEL: 'loud',
      OTEL_RESOURCE_ATTRIBUTES: '=x',
    });
    expect(code).toBe(1);
    expect(err).not.toMatch(/\n\s+at /);
    expect(lines).toEqual([
      expect.stringMatching(/^mist-otel-bridge: MIST_BRIDGE_PORT \(server\.port\): /),
      expect.stringMatching(/^mist-otel-bridge: OTEL_RESOURCE_ATTRIBUTES \(resource\.attributes\): /),
      expect.stringMatching(/^mist-otel-bridge: OTEL_EXPORTER_OTLP_PROTOCOL \(otlp\.protocol\): /),
      expect.stringMatching(/^mist-otel-bridge: MIST_BRIDGE_LOG_LEVEL \(log\.level\): Invalid option/),
    ]);
  });
});

describe('a valid configuration', () => {
  let receiver: OtlpReceiver;
  useReceiver((r) => (receiver = r));

  it('starts, and exports where and how it says', async () => {
    const bridge = await spawnBridge({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k%2C1, x-tenant=lab',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TIMEOUT: '',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=lab%20one',
      OTEL_BLRP_SCHEDULE_DELAY: '10',
    });
    try {
      expect((await postDelivery(`${bridge.url}/mist/webhook`, { topic: 'config-cli', events: [{ type: 'PROBE' }] })).status).toBe(200);
      await receiver.waitFor(() => receiver.logs.some((l) => l.attributes['mist.topic'] === 'config-cli'));
      const log = receiver.logs.find((l) => l.attributes['mist.topic'] === 'config-cli')!;
      expect(log.resource).toMatchObject({ 'deployment.environment': 'lab one', 'service.name': 'mist-ai' });
      const request = receiver.requests.find((r) => r.signal === 'logs')!;
      expect(request).toMatchObject({ contentType: 'application/x-protobuf', contentEncoding: 'gzip' });
      expect(request.headers).toMatchObject({ 'x-api-key': 'k,1', 'x-tenant': 'lab' });
    } finally {
      bridge.child.kill('SIGTERM');
      await bridge.exit();
    }
  });
});
