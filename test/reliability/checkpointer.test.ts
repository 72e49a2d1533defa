import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { spawnBridge } from '../support/spawn-bridge.js';
import { useReceiver } from '../support/use-receiver.js';
import { receivedNumbers, removeTempDirs, tempDataDir } from './helpers.js';
import { servedSamples } from './metric-samples.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));
afterEach(removeTempDirs);

const STOP_CHECKPOINTER = fileURLToPath(new URL('../support/stop-checkpointer.mjs', import.meta.url));

describe('the journal checkpointer thread', () => {
  it('is started again when it stops, says so, counts it in /metrics, and checkpoints again', async () => {
    const dir = tempDataDir();
    const topic = 'checkpointer';
    receiver.failWith(503);
    const bridge = await spawnBridge({
      MIST_BRIDGE_ALLOW_UNSIGNED: 'true',
      MIST_BRIDGE_DATA_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BLRP_SCHEDULE_DELAY: '20',
      NODE_OPTIONS: `--import=${STOP_CHECKPOINTER}`,
    });
    try {
      await receiver.waitFor(() => /"msg":"the journal checkpointer thread stopped; starting a new one"/.test(bridge.stderr()), 10_000);
      // Deliveries go to the WAL; only checkpoints copy them into the database file, so the file
      // grows only if the new thread checkpoints.
      const dbFile = join(dir, 'journal.sqlite');
      const before = statSync(dbFile).size;
      for (let n = 0; n < 200; n += 2) expect((await postDelivery(bridge.url + '/mist/webhook', numbered(topic, n, 2))).status).toBe(200);
      await receiver.waitFor(() => statSync(dbFile).size > before, 10_000);
      const m = await servedSamples(bridge.url);
      expect(m.get('mist_bridge_journal_thread_restarts_total{thread="checkpointer"}')).toBe(1);
      expect(m.get('mist_bridge_journal_thread_restarts_total{thread="writer"}')).toBe(0);
      receiver.failWith(null);
      await receiver.waitFor(() => receivedNumbers(receiver, topic).length === 200, 10_000);
    } finally {
      bridge.child.kill('SIGTERM');
      expect((await bridge.exit()).code).toBe(0);
    }
    expect(bridge.stderr().match(/checkpointer thread stopped/g)).toHaveLength(1);
  });
});
