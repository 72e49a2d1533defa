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

/** Runs the real CLI (src/main.ts through tsx) as its own process, as `npm start` does. */
export function runBridgeProcess(env: Record<string, string>, args: string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    // An empty data dir keeps the journal in memory, so parallel test bridges share no directory.
    env: { PATH: process.env.PATH ?? '', MIST_BRIDGE_HOST: '127.0.0.1', MIST_BRIDGE_PORT: '0', MIST_BRIDGE_DATA_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function spawnBridge(env: Record<string, string>, args: string[] = []): Promise<SpawnedBridge> {
  const child = runBridgeProcess(env, args);
  let err = '';
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start within 20 s:\n${err}`)), 20_000);
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
