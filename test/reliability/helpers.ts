import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
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

/**
 * The environment of a spawned bridge that journals in `dataDir`, takes deliveries signed with
 * `secret` and exports to `receiver` without waiting long: log records in batches every 20 ms, a
 * metric collection every 200 ms, an export request given up after a second.
 */
export function journaledBridgeEnv(receiver: OtlpReceiver, dataDir: string, secret: string): Record<string, string> {
  return {
    MIST_WEBHOOK_SECRET: secret,
    MIST_BRIDGE_DATA_DIR: dataDir,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    OTEL_BLRP_SCHEDULE_DELAY: '20',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  };
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

/** Posts 5-event deliveries every `everyMs` until `ms` have passed; resolves with every acknowledged number. */
export async function keepPosting(webhook: string, topic: string, ms: number, everyMs = 50): Promise<number[]> {
  const acked: number[] = [];
  const deadline = Date.now() + ms;
  for (let n = 0; Date.now() < deadline; n += 5) {
    const res = await postDelivery(webhook, numbered(topic, n, 5));
    expect(res.status).toBe(200);
    acked.push(...range(n, 5));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return acked;
}
