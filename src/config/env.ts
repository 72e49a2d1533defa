import { configSchema } from './schema.js';
import { describeSchema, type EnvParser, settingsOf } from './setting.js';

/**
 * Environment variables that overlay the configuration, derived from the `env` of every key in
 * the schema: the names are part of the interface (README "Configuration").
 */

/** variable → [config key, parser] */
export const ENV_VARIABLES: Record<string, [path: string, parse: EnvParser]> = Object.fromEntries(
  [...settingsOf(describeSchema(configSchema))].filter((s) => s.meta.env).map((s) => [s.meta.env!, [s.key, s.meta.fromEnv]]),
);

export interface EnvOverlay {
  /** The values the environment sets, as a configuration tree. */
  tree: Record<string, unknown>;
  /** config key → the variable that set it. */
  sources: Map<string, string>;
  /** One line per variable that does not parse: `VARIABLE (key): what is wrong`. */
  problems: string[];
}

export function envOverlay(env: NodeJS.ProcessEnv): EnvOverlay {
  const tree: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const problems: string[] = [];
  for (const [name, [path, parse]] of Object.entries(ENV_VARIABLES)) {
    const raw = env[name];
    if (raw === undefined) continue;
    let value: unknown;
    try {
      value = parse(raw);
    } catch (err) {
      problems.push(`${name} (${path}): ${(err as Error).message}`);
      continue;
    }
    // undefined: the variable is set but empty, which the OpenTelemetry variables treat as unset.
    if (value === undefined) continue;
    const keys = path.split('.');
    let node = tree;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
    sources.set(path, name);
  }
  return { tree, sources, problems };
}
