import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostResult, postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';

const dirs: string[] = [];

/** A fresh data directory, removed by `removeTempDirs()`. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mist-bridge-rel-'));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The `n` of every log record of `topic` that reached the receiver, in arrival order. */
export function receivedNumbers(receiver: OtlpReceiver, topic: string): number[] {
  return receiver.logs.filter((l) => l.attributes['mist.topic'] === topic).map((l) => Number(l.attributes['mist.n']));
}

/** POST `bodies` with at most `concurrency` in flight; results in the order of `bodies`. */
export async function postAll(url: string, bodies: unknown[], concurrency: number, secret?: string): Promise<PostResult[]> {
  const results: PostResult[] = new Array(bodies.length);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      results[i] = await postDelivery(url, bodies[i], secret === undefined ? {} : { secret });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
  return results;
}

export const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
