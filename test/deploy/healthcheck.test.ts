/**
 * `mist-otel-bridge healthcheck`, the image's HEALTHCHECK: real bridge processes listen on a port
 * set by variable, by a config file (--config or MIST_BRIDGE_CONFIG) or by default, and the probe,
 * started as a separate process with the same environment, finds each one. It fails, saying where
 * it looked, when nothing answers or the answer is not 200.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { healthzUrl } from '../../src/cli/healthcheck.js';
import { outcomeOf } from '../support/run-cli.js';
import { cliProcess, listeningBridge } from '../support/spawn-bridge.js';

const dir = mkdtempSync(join(tmpdir(), 'mist-healthcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on right now (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The real CLI with exactly this environment: the port comes from whatever `env` and `args` configure. */
const cli = (env: Record<string, string>, args: string[]) => cliProcess({ MIST_BRIDGE_DATA_DIR: '', ...env }, args);

async function probe(env: Record<string, string>, args: string[] = []) {
  const { code, stdout: out, stderr: err } = await outcomeOf(cli(env, ['healthcheck', ...args]));
  return { code, out, err };
}

/** Starts a bridge with `env`/`args`, probes it with the same, and stops it. */
async function probeRunningBridge(env: Record<string, string>, args: string[] = []) {
  const bridge = cli({ MIST_BRIDGE_ALLOW_UNSIGNED: 'true', MIST_BRIDGE_HOST: '127.0.0.1', ...env }, args);
  const exited = once(bridge, 'exit');
  try {
    const { url } = await listeningBridge(bridge);
    return { url, result: await probe(env, args) };
  } finally {
    bridge.kill('SIGTERM');
    await exited;
  }
}

describe('mist-otel-bridge healthcheck', () => {
  it('finds a port set by MIST_BRIDGE_PORT', async () => {
    const port = await freePort();
    const { url, result } = await probeRunningBridge({ MIST_BRIDGE_PORT: String(port) });
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toBe(`http://127.0.0.1:${port}/healthz: 200\n`);
  }, 60_000);

  it('finds a port set in the file MIST_BRIDGE_CONFIG names (what the image can see) and in --config FILE', async () => {
    const port = await freePort();
    const file = join(dir, 'port.yaml');
    writeFileSync(file, `server:\n  port: ${port}\n`);
    const byVariable = await probeRunningBridge({ MIST_BRIDGE_CONFIG: file });
    expect(byVariable.url).toBe(`http://127.0.0.1:${port}`);
    expect(byVariable.result.code, byVariable.result.err).toBe(0);

    const byFlag = await probeRunningBridge({}, ['--config', file]);
    expect(byFlag.result.code, byFlag.result.err).toBe(0);
    expect(byFlag.result.out).toContain(`:${port}/healthz: 200`);
  }, 90_000);

  it('without either, probes the default port', async () => {
    const { code, out, err } = await probe({});
    // Whether or not something listens on 4320 here, the probe names the default address.
    expect(code === 0 ? out : err).toMatch(/^http:\/\/127\.0\.0\.1:4320\/healthz/);
  });

  it('fails, naming the address, when nothing listens there', async () => {
    const port = await freePort();
    const { code, out, err } = await probe({ MIST_BRIDGE_PORT: String(port) });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/healthz: .*ECONNREFUSED`));
  });

  it('fails when the answer is not 200', async () => {
    const server: Server = createServer((_req, res) => res.writeHead(503).end('stopping'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const { code, err } = await probe({ MIST_BRIDGE_PORT: String(port) });
      expect(code).toBe(1);
      expect(err).toBe(`http://127.0.0.1:${port}/healthz answered 503\n`);
    } finally {
      server.close();
    }
  });

  it('refuses an ephemeral port and rejects a bad port value like start does', async () => {
    const ephemeral = await probe({ MIST_BRIDGE_PORT: '0' });
    expect(ephemeral.code).toBe(1);
    expect(ephemeral.err).toMatch(/server\.port is 0/);
    const bad = await probe({ MIST_BRIDGE_PORT: 'http' });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/MIST_BRIDGE_PORT \(server\.port\): expected an integer/);
  });

  it('probes a specific listen address where it listens, and a wildcard on loopback', () => {
    expect(healthzUrl({ host: '0.0.0.0', port: 4320 })).toBe('http://127.0.0.1:4320/healthz');
    expect(healthzUrl({ host: '::', port: 4320 })).toBe('http://127.0.0.1:4320/healthz');
    expect(healthzUrl({ host: '::1', port: 9 })).toBe('http://[::1]:9/healthz');
    expect(healthzUrl({ host: '10.1.2.3', port: 80 })).toBe('http://10.1.2.3:80/healthz');
  });
});
