import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { loadMappings } from '../../src/mapping/loader.js';
import { createProcessingStages } from '../../src/processing-stages.js';
import type { Batch } from '../../src/sources/contract.js';
import type { MemoryOtlp } from './memory-otlp.js';

export interface StagesOptions {
  /** Where the export stages send what they export. */
  memory: MemoryOtlp;
  /** The clock's start (epoch ns): the stages' own clock stands still unless `advance` moves it. */
  startNs: bigint;
  /** Client session traces (on in a bridge by default). */
  sessions: boolean;
}

export interface Stages {
  /** A batch through processing, as a source's next stage would hand it on. */
  process(batch: Omit<Batch, 'receivedNs'> & { receivedNs?: bigint }): void;
  /** Time passes by `ms`, then the session sweep runs as the bridge's periodic one does. */
  advance(ms: number): void;
  /** What a clean stop of the bridge does with these stages: final sweep, every queue and one metric collection exported, exporters shut down. */
  stop(): Promise<void>;
  readonly nowNs: bigint;
}

/**
 * The stages after a source — processing (src/processing), the signals (src/signals) and the export
 * stages (src/export) — built by src/processing-stages.ts, as the bridge builds them, from the
 * default configuration and the built-in mappings, with two differences that make their output
 * reproducible: the SDK's in-memory exporters (`memory`), and one clock the test moves, given to
 * everything that takes a clock (the session tracker, the event-time gauges, the subjects of stream
 * metrics). What still reads the wall clock is the SDK's own: the start and collection times of its
 * counters and histograms.
 */
export async function startStages(options: StagesOptions): Promise<Stages> {
  const config = loadConfig({ env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true' }, overrides: { sessions: { enabled: options.sessions } } });
  let now = options.startNs;
  const mappings = loadMappings({ subjectTtlMs: { 'stream:stats/devices': config.stream.deviceTtlMs } });
  const { processor, sessions, stop } = await createProcessingStages({
    config,
    mappings,
    exporters: options.memory.exporters(),
    log: createLogger('error'),
    clockNs: () => now,
  });

  return {
    process(batch) {
      const receipt = processor.process({ ...batch, receivedNs: batch.receivedNs ?? now });
      if (receipt.status !== 'accepted' || receipt.failedEvents > 0) throw new Error(`processing failed: ${JSON.stringify(receipt)}`);
    },
    advance(ms) {
      now += BigInt(ms) * 1_000_000n;
      sessions?.sweep(false);
    },
    async stop() {
      const { flushed } = await stop(Date.now() + 10_000);
      if (!flushed) throw new Error('the in-memory export did not finish');
    },
    get nowNs() {
      return now;
    },
  };
}
