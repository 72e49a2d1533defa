import { once } from 'node:events';
import { runBridgeProcess } from './spawn-bridge.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mist-otel-bridge ARGS…` as its own process (src/main.ts through tsx, as `npm start` does). */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const child = runBridgeProcess(env, args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
