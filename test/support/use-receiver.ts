import { afterAll, afterEach, beforeAll } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js';

/**
 * One OTLP receiver for a test file: started before its tests, answering normally and emptied
 * after each one, closed after all. `bind` hands the started receiver to the file.
 */
export function useReceiver(bind: (receiver: OtlpReceiver) => void): void {
  let receiver: OtlpReceiver | undefined;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    bind(receiver);
  });
  afterEach(() => {
    receiver?.failWith(null);
    receiver?.slowDown(null);
    receiver?.clear();
  });
  afterAll(async () => {
    await receiver?.close();
  });
}
