/**
 * The Dockerfile's promises, checked by parsing it (no Docker engine here): multi-stage with
 * production dependencies only in the image, a non-root user, a health check on /healthz, node as
 * PID 1 through an exec-form CMD, and a build context that holds everything it copies.
 */
import { describe, expect, it } from 'vitest';
import { PROBE_TIMEOUT_MS } from '../../src/cli/healthcheck.js';
import { ENV_VARIABLES } from '../../src/config/env.js';
import { dockerfileInstructions, execForm, type Instruction } from './dockerfile.js';
import { readRepoText, repoFileExists } from './repo.js';

const instructions = dockerfileInstructions(readRepoText('Dockerfile'));
const froms = instructions.flatMap((ins, i) => (ins.keyword === 'FROM' ? [i] : []));
const stages = froms.map((start, n) => instructions.slice(start, froms[n + 1]));
const finalStage = stages.at(-1)!;
const named = (stage: Instruction[]) => / AS (\S+)$/i.exec(stage[0]!.args)?.[1];
const baseOf = (stage: Instruction[]) => stage[0]!.args.replace(/^--platform=\S+\s+/, '').split(/\s+/)[0]!;
const all = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword);
const pkg = JSON.parse(readRepoText('package.json')) as { bin: Record<string, string> };

describe('Dockerfile', () => {
  it('parses continuation lines into single instructions', () => {
    const parsed = dockerfileInstructions('FROM a AS b\n# note\nRUN one \\\n  # inner comment\n  two\nCMD ["x"]\n');
    expect(parsed.map((i) => [i.keyword, i.args])).toEqual([
      ['FROM', 'a AS b'],
      ['RUN', 'one two'],
      ['CMD', '["x"]'],
    ]);
    expect(execForm('node main.js')).toBeUndefined();
  });

  it('builds in a named stage and runs from the same Node 24 slim base, so the native module matches Node and libc', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => named(s) !== undefined && s !== finalStage)!;
    expect(build).toBeDefined();
    expect(baseOf(finalStage)).toBe(baseOf(build));
    const arg = /^\$\{(\w+)\}$/.exec(baseOf(build))?.[1];
    const image = arg ? /^\w+=(\S+)$/.exec(instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith(`${arg}=`))!.args)![1]! : baseOf(build);
    expect(image).toMatch(/^node:24\.\d+\.\d+-(trixie|bookworm)-slim$/);
    expect(
      all(build, 'RUN')
        .map((r) => r.args)
        .join(' '),
    ).toMatch(/python3.*make.*g\+\+/);
  });

  it('ships production dependencies only', () => {
    const copiedModules = all(finalStage, 'COPY').find((c) => /node_modules/.test(c.args));
    const from = /--from=(\S+)/.exec(copiedModules!.args)?.[1];
    const source = stages.find((s) => named(s) === from)!;
    expect(source, `stage ${from}`).toBeDefined();
    const runs = all(source, 'RUN').map((r) => r.args);
    expect(runs.some((r) => /npm (prune|ci)\b.*--omit=dev/.test(r))).toBe(true);
    expect(
      all(finalStage, 'RUN').some((r) => /npm (ci|install)/.test(r.args)),
      'no npm install in the image',
    ).toBe(false);
  });

  it('runs as a non-root user', () => {
    const users = all(finalStage, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0]!;
    expect(['root', '0']).not.toContain(user);
    // USER comes after the last RUN, which may still need root (mkdir/chown).
    expect(finalStage.indexOf(users.at(-1)!)).toBeGreaterThan(finalStage.lastIndexOf(all(finalStage, 'RUN').at(-1)!));
  });

  it('gives the unprivileged user a data volume it owns', () => {
    const volume = all(finalStage, 'VOLUME').at(-1)!;
    const dir = execForm(volume.args)![0]!;
    const uid = all(finalStage, 'USER').at(-1)!.args.split(':')[0]!;
    expect(all(finalStage, 'RUN').some((r) => r.args.includes(`chown ${uid}`) && r.args.includes(dir))).toBe(true);
    // …and the bridge keeps its journal there (durability.dir), not in memory.
    const env = all(finalStage, 'ENV')
      .map((e) => e.args)
      .join(' ');
    expect(/MIST_BRIDGE_DATA_DIR=(\S+)/.exec(env)?.[1]).toBe(dir);
    expect(ENV_VARIABLES.MIST_BRIDGE_DATA_DIR?.[0]).toBe('durability.dir');
  });

  it('sets only configuration variables the bridge knows', () => {
    const vars = all(finalStage, 'ENV').flatMap((e) => [...e.args.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1]!));
    for (const v of vars.filter((name) => name.startsWith('MIST_') || name.startsWith('OTEL_'))) {
      expect(Object.keys(ENV_VARIABLES), v).toContain(v);
    }
  });

  it("checks health with the bridge's own healthcheck command, which reads the configuration as start does", () => {
    const health = all(finalStage, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    const cmd = execForm(health[0]!.args.replace(/^(--\S+\s+)*CMD\s+/, ''));
    expect(cmd).toEqual(['node', pkg.bin['mist-otel-bridge'], 'healthcheck']);
    // Docker's timeout leaves the probe time to start node and to report its own timeout.
    const timeout = /--timeout=(\d+)s/.exec(health[0]!.args)?.[1];
    expect(Number(timeout) * 1000).toBeGreaterThanOrEqual(PROBE_TIMEOUT_MS + 2000);
  });

  it('starts node directly in exec form, so SIGTERM from docker stop reaches the bridge', () => {
    expect(all(finalStage, 'ENTRYPOINT')).toHaveLength(0);
    const cmd = execForm(all(finalStage, 'CMD').at(-1)!.args);
    expect(cmd, 'exec-form CMD').toBeDefined();
    expect(cmd![0]).toBe('node');
    expect(cmd!.at(-1)).toBe(pkg.bin['mist-otel-bridge']);
  });

  it('copies only what exists and what .dockerignore lets into the build context', () => {
    const allowed = readRepoText('.dockerignore')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    const sources = instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(repoFileExists(s), s).toBe(true);
      expect(allowed, `${s} is excluded by .dockerignore`).toContain(s.replace(/^\.\//, '').replace(/\/$/, ''));
    }
  });
});
