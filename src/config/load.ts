import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { packagePath } from '../package-root.js';
import { configSchema, type BridgeConfig } from './schema.js';
import { envOverlay } from './env.js';

/** A configuration problem; the message names the key (or variable) and what is wrong. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Tree = Record<string, unknown>;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) in the overlay replaces. */
export function deepMerge(base: Tree, overlay: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const prev = out[key];
    out[key] = isTree(prev) && isTree(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function readYamlFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isTree(doc)) throw new ConfigError(`config file ${file}: the top level must be a mapping`);
  return doc;
}

function describe(error: ZodError, source: string): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.join('.') || '(top level)';
      return `${source}: ${key}: ${issue.message}`;
    })
    .join('\n');
}

export interface LoadOptions {
  /** The `--config FILE` overlay. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Further overrides, applied last (tests use this instead of environment variables). */
  overrides?: Tree;
}

/** defaults (config/default.yaml) ← --config file ← environment ← overrides, then validated. */
export function loadConfig(options: LoadOptions = {}): BridgeConfig {
  let tree = readYamlFile(join(packagePath('config'), 'default.yaml'));
  if (options.file) tree = deepMerge(tree, readYamlFile(options.file));
  tree = deepMerge(tree, envOverlay(options.env ?? process.env, (msg) => new ConfigError(msg)));
  if (options.overrides) tree = deepMerge(tree, options.overrides);

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration\n${describe(parsed.error, options.file ?? 'config')}`);
  }
  const config = parsed.data;
  if (config.security.secrets.length === 0 && !config.security.allowUnsigned) {
    throw new ConfigError(
      'no webhook secret configured: set MIST_WEBHOOK_SECRET to the secret entered in the Mist ' +
        'webhook settings (comma-separate several during a rotation), or set ' +
        'MIST_BRIDGE_ALLOW_UNSIGNED=true to accept unsigned deliveries (not recommended)',
    );
  }
  return config;
}
