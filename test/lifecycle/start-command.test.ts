import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions, execForm } from '../deploy/dockerfile.js';

const root = new URL('../../', import.meta.url);

describe('one way to start', () => {
  it('npm start runs the compiled bridge with exactly the node flags of the image CMD', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    const start = pkg.scripts['start']!;
    // Built first, then node replaces the shell (exec), so a SIGTERM to npm reaches the bridge.
    expect(start).toMatch(/^npm run build --silent && exec node /);
    const npmArgs = start.slice(start.indexOf('exec node ') + 'exec node '.length).split(/\s+/);
    const cmd = dockerfileInstructions(readFileSync(new URL('Dockerfile', root), 'utf8')).filter((i) => i.keyword === 'CMD').at(-1)!;
    const dockerArgs = execForm(cmd.args)!;
    expect(dockerArgs[0]).toBe('node');
    expect(npmArgs).toEqual(dockerArgs.slice(1));
    expect(npmArgs.at(-1)).toBe('dist/src/main.js');
    expect(Object.values(pkg.scripts).join('\n')).not.toMatch(/\btsx src\/main\.ts\b/);
  });
});
