// Preloaded into a bridge process by a test (NODE_OPTIONS=--import=…): the first journal
// checkpointer thread is terminated a second after it starts, as a crash of the thread would end
// it. Node's worker_threads export is replaced before the bridge imports it.
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const Original = workerThreads.Worker;
let stopped = false;
workerThreads.Worker = class extends Original {
  constructor(url, options) {
    super(url, options);
    if (!stopped && String(url).includes('checkpointer-thread')) {
      stopped = true;
      setTimeout(() => void this.terminate(), 1000).unref();
    }
  }
};
syncBuiltinESMExports();
