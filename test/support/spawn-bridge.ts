import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnedBridge {
  child: ChildProcess;
  /** Base URL once the bridge logged that it listens. */
  url: string;
  stderr(): string;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Another user to run the CLI as (a test that runs as root, about what root may do and others may not). */
export interface ProcessUser {
  uid: number;
  gid: number;
}

/**
 * Runs the real CLI (src/main.ts through tsx) as its own process, as `npm start` does, with
 * exactly `env` (and PATH): for a test about what the environment configures.
 */
export function cliProcess(env: Record<string, string>, args: string[] = [], user?: ProcessUser): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
}

/** The real CLI as its own process, on a port of its own on 127.0.0.1 unless `env` says otherwise. */
export function runBridgeProcess(env: Record<string, string>, args: string[] = [], user?: ProcessUser): ChildProcess {
  // An empty data dir keeps the journal in memory, so parallel test bridges share no directory.
  return cliProcess({ MIST_BRIDGE_HOST: '127.0.0.1', MIST_BRIDGE_PORT: '0', MIST_BRIDGE_DATA_DIR: '', ...env }, args, user);
}

export function spawnBridge(env: Record<string, string>, args: string[] = []): Promise<SpawnedBridge> {
  return listeningBridge(runBridgeProcess(env, args));
}

/** A bridge process, once it logged that it listens (on 127.0.0.1); rejects when it exits first or takes longer than `timeoutMs`. */
export async function listeningBridge(child: ChildProcess, timeoutMs = 20_000): Promise<SpawnedBridge> {
  let err = '';
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start within ${timeoutMs / 1000} s:\n${err}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /"msg":"listening".*?"port":(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`bridge exited with ${code} before listening:\n${err}`));
    });
  });
  return { child, url, stderr: () => err, exit: () => exited };
}
