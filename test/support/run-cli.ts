import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { runBridgeProcess } from './spawn-bridge.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a CLI process wrote, and its exit code, once it has exited and its output is read to the end. */
export async function outcomeOf(child: ChildProcess): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  // 'close', not 'exit': the output may still be arriving when the process has exited.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Runs `mist-otel-bridge ARGS…` as its own process (src/main.ts through tsx, as `npm start` does). */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return outcomeOf(runBridgeProcess(env, args));
}
