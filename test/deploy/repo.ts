import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository root: deployment files are checked where a user's `docker compose up` finds them. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);
export const repoFileExists = (path: string): boolean => existsSync(repoPath(path));
export const readRepoText = (path: string): string => readFileSync(repoPath(path), 'utf8');

/** Parses a YAML file strictly: duplicate keys and syntax errors fail the test that reads it. */
export function readRepoYaml<T = Record<string, unknown>>(path: string): T {
  return parse(readRepoText(path), { uniqueKeys: true, strict: true }) as T;
}

/** Parses YAML text as strictly as readRepoYaml (for files that are interpolated first). */
export function parseYamlStrict<T = Record<string, unknown>>(text: string): T {
  return parse(text, { uniqueKeys: true, strict: true }) as T;
}
