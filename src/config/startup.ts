import { mkdirSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, keyLabel } from './load.js';
import type { BridgeConfig } from './schema.js';

/**
 * Checks of the configuration against the machine, made when the bridge starts (not when
 * `check-mappings` reads the configuration): each failure is a ConfigError naming the key and
 * where its value came from.
 */

// statfs(2) magic numbers of kernel file systems that cannot hold files of ours.
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, '/proc (procfs)'],
  [0x62656572, '/sys (sysfs)'],
  [0x27e0eb, 'a cgroup file system'],
  [0x63677270, 'a cgroup2 file system'],
  [0x64626720, 'debugfs'],
  [0x1cd1, 'devpts'],
]);

const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** What is wrong with `dir` as the journal's directory, after creating what is missing of it. */
export function dataDirProblem(dir: string): string | undefined {
  const target = resolve(dir);
  // The nearest part of the path that exists, and the directories to create below it.
  const missing: string[] = [];
  let existing = target;
  for (;;) {
    try {
      if (!statSync(existing).isDirectory()) return `${existing} is a file, not a directory`;
      break;
    } catch (err) {
      if (code(err) !== 'ENOENT' && code(err) !== 'ENOTDIR') return `cannot look at ${existing} (${code(err)})`;
      const parent = dirname(existing);
      if (parent === existing) return `cannot look at ${existing} (${code(err)})`;
      missing.unshift(existing);
      existing = parent;
    }
  }
  const fileSystem = PSEUDO_FILE_SYSTEMS.get(statfsSync(existing).type);
  if (fileSystem) return `${dir} is on ${fileSystem}, which cannot hold the journal; choose a directory on a disk or a volume`;
  // One level at a time: Node's recursive mkdir retries forever, in one synchronous call, on a
  // file system that answers ENOENT for a parent that exists (procfs does).
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (err) {
      if (code(err) !== 'EEXIST') return `cannot create ${path} (${code(err)})`;
    }
  }
  const probe = join(target, `.mist-otel-bridge-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    return `${dir} is not writable (${code(err)})`;
  }
  return undefined;
}

/** Throws a ConfigError when `durability.dir` cannot hold the journal; creates it when missing. */
export function prepareDataDir(config: BridgeConfig): void {
  const dir = config.durability.dir;
  if (dir === null) return;
  const problem = dataDirProblem(dir);
  if (problem) throw new ConfigError(`${keyLabel(config, 'durability.dir')}: ${problem}`);
}

/** The HTTP server could not listen: a ConfigError naming the host or port, or `err` itself. */
export function listenError(err: unknown, config: BridgeConfig): unknown {
  const { host, port } = config.server;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new ConfigError(`${keyLabel(config, 'server.port')}: port ${port} on ${host} is already in use by another process`);
    case 'EACCES':
      return new ConfigError(`${keyLabel(config, 'server.port')}: not allowed to listen on port ${port} (ports below 1024 need privileges)`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(`${keyLabel(config, 'server.host')}: ${host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConfigError(`${keyLabel(config, 'server.host')}: "${host}" does not resolve to an address (${(err as NodeJS.ErrnoException).code})`);
    default:
      return err;
  }
}
