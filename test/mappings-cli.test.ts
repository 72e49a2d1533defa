import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';

/** `check-mappings` and a bad mappings directory at start-up, through the real CLI process. */

const dir = mkdtempSync(join(tmpdir(), 'mist-cli-mappings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (env: Record<string, string>, args: string[]) => runCli(args, env);

describe('mapping files on the command line', () => {
  it('check-mappings passes the built-in files without a webhook secret', async () => {
    const { code, stdout: out } = await run({}, ['check-mappings']);
    expect(out).toMatch(/^mappings OK: \d+ topic files \(0 custom\), \d+ metrics/);
    expect(code).toBe(0);
  });

  it('check-mappings DIR and a bridge start both fail on a bad file, naming file, line and path', async () => {
    writeFileSync(join(dir, 'ping.yaml'), 'topic: ping\ndescription: mine\nlog:\n  event_name: mist.ping\n  severity: { default: LOUD }\n');
    const checked = await run({}, ['check-mappings', dir]);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain(`${join(dir, 'ping.yaml')}:5:`);
    expect(checked.stderr).toMatch(/log\.severity\.default: Invalid option: expected one of "TRACE"\|"DEBUG"\|"INFO"\|"WARN"\|"ERROR"\|"FATAL"/);

    const started = await run({ MIST_BRIDGE_ALLOW_UNSIGNED: 'true', MIST_BRIDGE_MAPPINGS_DIR: dir }, []);
    expect(started.code).toBe(1);
    expect(started.stderr).toMatch(/^mist-otel-bridge: \S*ping\.yaml:5:\d+: log\.severity\.default: [^\n]*\n$/);
  });

  it('a field reference that does not parse: one line with file:line:col, at start-up and in check-mappings', async () => {
    const refs = mkdtempSync(join(dir, 'refs-'));
    writeFileSync(
      join(refs, 'door.yaml'),
      'topic: door\ndescription: d\nlog: false\nmetrics:\n  - name: mist.door.opened\n    instrument: counter\n    unit: "1"\n    description: x\n    attributes:\n      mist.site: "a..b"\n',
    );
    const line = new RegExp(`^${join(refs, 'door.yaml')}:10:18: metrics\\[0\\]\\.attributes\\.mist\\.site: bad segment "" in field reference "a\\.\\.b"$`);
    const checked = await run({}, ['check-mappings', refs]);
    expect(checked.code).toBe(1);
    expect(checked.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
    const started = await run({ MIST_BRIDGE_ALLOW_UNSIGNED: 'true', MIST_BRIDGE_MAPPINGS_DIR: refs }, []);
    expect(started.code).toBe(1);
    expect(started.stderr.trimEnd().split('\n')).toEqual([`mist-otel-bridge: ${checked.stderr.trimEnd()}`]);
  }, 60_000);

  it('a topic shadowing a built-in without replaces, and an unbalanced template brace, one line each', async () => {
    const files = mkdtempSync(join(dir, 'shadow-'));
    writeFileSync(
      join(files, 'alarms.yaml'),
      'topic: my-alarms\naliases: [alarms]\ndescription: mine\nlog:\n  event_name: mist.my_alarm\n  body:\n    - template: "{type} on {site_name"\n',
    );
    const checked = await run({}, ['check-mappings', files]);
    expect(checked.code).toBe(1);
    expect(checked.stderr).not.toMatch(/\n\s+at /);
    expect(checked.stderr.trimEnd().split('\n')).toEqual([`${join(files, 'alarms.yaml')}:7:28: log.body[0].template: "{" at character 11 is not closed`]);
    writeFileSync(join(files, 'alarms.yaml'), 'topic: my-alarms\naliases: [alarms]\ndescription: mine\nlog: false\n');
    const shadowed = await run({}, ['check-mappings', files]);
    expect(shadowed.stderr.trimEnd().split('\n')).toEqual([
      `${join(files, 'alarms.yaml')}:2:11: aliases[0]: "alarms" is a built-in topic (mappings/alarms.yaml); add "replaces: alarms" to this file to replace that file, or choose another topic`,
    ]);
    writeFileSync(join(files, 'alarms.yaml'), 'topic: my-alarms\nreplaces: alarms\naliases: [alarms]\ndescription: mine\nlog: false\n');
    const replaced = await run({}, ['check-mappings', files]);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`my-alarms: ${join(files, 'alarms.yaml')}`);
  }, 90_000);
});
