import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The same module runs from src/ (tsx) and from dist/src/ (built), so files shipped beside the
 * code (config/, mappings/, package.json) are found by walking up to our package.json.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'mist-otel-bridge') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('mist-otel-bridge: cannot find the package root');
    dir = parent;
  }
}

const root = findRoot();

export function packagePath(...parts: string[]): string {
  return join(root, ...parts);
}

export const packageVersion: string = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
