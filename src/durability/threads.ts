import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = import.meta.url;
// Built, this module is dist/src/durability/threads.js and the thread modules beside it are
// .js too. Run from source (tsx, vitest), it is threads.ts: a worker does not inherit the
// parent's loader hooks (vitest does not even run on one), so the thread is given tsx itself.
const fromSource = here.endsWith('.ts');

/**
 * Starts `name` (a module of this folder, e.g. 'writer-thread') in a worker thread, from the
 * same kind of file as this module: compiled JavaScript in production, TypeScript in tests.
 */
export function startThread(name: string, workerData: unknown): Worker {
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, here);
  const execArgv = fromSource ? ['--import', pathToFileURL(createRequire(here).resolve('tsx')).href] : [];
  return new Worker(url, { workerData, execArgv });
}
