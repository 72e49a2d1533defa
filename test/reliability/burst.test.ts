import { afterEach, describe, expect, it } from 'vitest';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { startTestBridge } from '../support/bridge-harness.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { useReceiver } from '../support/use-receiver.js';
import { postAll, range, receivedNumbers, removeTempDirs, tempDataDir } from './helpers.js';

let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));
afterEach(removeTempDirs);

describe('a burst', () => {
  it('of 20,000 events loses nothing', async () => {
    const topic = 'burst';
    // A small in-memory budget: most of the burst waits in the journal and is mapped as the
    // export queue drains.
    const bridge = await startTestBridge(receiver, {
      overrides: { server: { host: '127.0.0.1', port: 0 }, durability: { dir: tempDataDir(), maxQueuedRecords: 2000 } },
    });
    try {
      // 2,000 deliveries of 10 events, 50 in flight at a time.
      const bodies = range(0, 2000).map((i) => numbered(topic, i * 10, 10));
      const results = await postAll(bridge.webhook, bodies, 50);
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      await receiver.waitFor(() => new Set(receivedNumbers(receiver, topic)).size === 20_000, 60_000);
      await receiver.waitFor(() => bridge.journal.count === 0, 10_000);
      // Exactly once while the backend answers within the export timeout.
      expect(receivedNumbers(receiver, topic)).toHaveLength(20_000);
    } finally {
      await bridge.stop();
    }
  });
});
