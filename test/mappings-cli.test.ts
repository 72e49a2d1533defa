import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBridgeProcess } from './support/spawn-bridge.js';

/** `check-mappings` and a bad mappings directory at start-up, through the real CLI process. */

const dir = mkdtempSync(join(tmpdir(), 'mist-cli-mappings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(env: Record<string, string>, args: string[]) {
  const child = runBridgeProcess(env, args);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

describe('mapping files on the command line', () => {
  it('check-mappings passes the built-in files without a webhook secret', async () => {
    const { code, out } = await run({}, ['check-mappings']);
    expect(out).toMatch(/^mappings OK: \d+ topic files \(0 custom\), \d+ metrics/);
    expect(code).toBe(0);
  });

  it('check-mappings DIR and a bridge start both fail on a bad file, naming file, line and path', async () => {
    writeFileSync(join(dir, 'ping.yaml'), 'topic: ping\ndescription: mine\nlog:\n  event_name: mist.ping\n  severity: { default: LOUD }\n');
    const checked = await run({}, ['check-mappings', dir]);
    expect(checked.code).toBe(1);
    expect(checked.err).toContain(`${join(dir, 'ping.yaml')}:5:`);
    expect(checked.err).toMatch(/log\.severity\.default: Invalid option: expected one of "TRACE"\|"DEBUG"\|"INFO"\|"WARN"\|"ERROR"\|"FATAL"/);

    const started = await run({ MIST_BRIDGE_ALLOW_UNSIGNED: 'true', MIST_BRIDGE_MAPPINGS_DIR: dir }, []);
    expect(started.code).toBe(1);
    expect(started.err).toMatch(/^mist-otel-bridge: \S*ping\.yaml:5:\d+: log\.severity\.default: [^\n]*\n$/);
  });
});
