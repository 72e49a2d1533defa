import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions, execForm } from '../deploy/dockerfile.js';

const root = new URL('../../', import.meta.url);
const dockerfile = () => dockerfileInstructions(readFileSync(new URL('Dockerfile', root), 'utf8'));
/** The image's CMD, argv as Docker runs it. */
const imageCommand = () =>
  execForm(
    dockerfile()
      .filter((i) => i.keyword === 'CMD')
      .at(-1)!.args,
  )!;

describe('one way to start', () => {
  it("npm start runs the compiled bridge with exactly the node flags and malloc settings of the image's CMD and ENV", () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    const start = pkg.scripts['start']!;
    // Built first, then node replaces the shell (exec), so a SIGTERM to npm reaches the bridge.
    expect(start).toMatch(/^npm run build --silent && (\S+ )*exec node /);
    const npmArgs = start.slice(start.indexOf('exec node ') + 'exec node '.length).split(/\s+/);
    const dockerArgs = imageCommand();
    expect(dockerArgs[0]).toBe('node');
    expect(npmArgs).toEqual(dockerArgs.slice(1));
    expect(npmArgs.at(-1)).toBe('dist/src/main.js');
    expect(Object.values(pkg.scripts).join('\n')).not.toMatch(/\btsx src\/main\.ts\b/);
    // glibc reads its malloc settings from the environment once, at start: `npm start` sets the
    // image's defaults the same way, each overridable by the caller's environment.
    const npmEnv = [...start.slice(0, start.indexOf('exec node ')).matchAll(/(\w+)=\$\{(\w+):-([^}]*)\} /g)].map((m) => {
      expect(m[2], 'the default applies only where the caller set none').toBe(m[1]);
      return [m[1], m[3]];
    });
    const dockerEnv = dockerfile()
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/(MALLOC_\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    expect(dockerEnv).toContainEqual(['MALLOC_ARENA_MAX', '2']);
    expect(Object.fromEntries(npmEnv)).toEqual(Object.fromEntries(dockerEnv));
  });

  it("the Node running the tests accepts every flag of the image's CMD (V8's own flags come and go between releases)", () => {
    const flags = imageCommand().slice(1, -1);
    expect(flags.length).toBeGreaterThan(0);
    const run = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write("started")'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('started');
  });
});

describe('what the build ships', () => {
  it('leaves out the documentation generators (npm run docs:mappings and docs:config run them from the sources)', () => {
    const dir = fileURLToPath(root);
    const file = `${dir}tsconfig.build.json`;
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(file, ts.sys.readFile).config, ts.sys, dir, undefined, file);
    // What the compiler emits: the files listed and everything they import.
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
    const compiled = program
      .getSourceFiles()
      .map((s) => s.fileName.slice(dir.length))
      .filter((f) => !f.startsWith('node_modules/'));
    expect(compiled).toEqual(expect.arrayContaining(['src/main.ts', 'src/bridge.ts']));
    for (const generator of ['src/mapping/write-readme.ts', 'src/mapping/table.ts', 'src/config/write-docs.ts', 'src/config/docs.ts'])
      expect(compiled).not.toContain(generator);
  });
});
