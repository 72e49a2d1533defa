// `node bench/journal.mjs [concurrent] [normal|full]` (after `npm run build`): the cost of
// journaling a delivery, alone. `concurrent` senders each append a 650-byte delivery and wait for
// its commit before the next, 60,000 in all, to a journal in a temporary directory. Prints the
// process's CPU per delivery (the writer thread included), the event loop's (its active time),
// and the wall time per delivery (the inverse of appends/s).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Journal } from '../dist/src/durability/journal.js';

const concurrent = Number(process.argv[2] ?? 16);
const synchronous = process.argv[3] ?? 'normal';
const N = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'));
const journal = new Journal({ dir, maxBytes: 1e10, synchronous, log: { error: console.error, warn: console.error, info() {}, debug() {} } });
const body = Buffer.alloc(650, 97);
let sent = 0;
const elu0 = performance.eventLoopUtilization();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrent }, async () => {
    while (sent < N) {
      sent += 1;
      await journal.append({ source: 'webhook', codec: 'mist-envelope', receivedNs: 1n, body });
    }
  }),
);
const wallUs = ((performance.now() - t0) * 1000) / N;
const cpu = process.cpuUsage(cpu0);
const elu = performance.eventLoopUtilization(elu0);
await journal.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  `${synchronous}, ${concurrent} concurrent: process CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs/delivery, ` +
    `event loop ${((elu.active * 1000) / N).toFixed(1)} µs/delivery, ${wallUs.toFixed(1)} µs wall/delivery (${Math.round(1e6 / wallUs).toLocaleString('en-US')} appends/s)`,
);
