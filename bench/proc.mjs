// What /proc says about a process: memory (VmRSS now, VmHWM = peak since start or since the
// last reset) and CPU time. Linux only, which is what the benchmark machine runs.
import { readFileSync, writeFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

function kib(status, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

export function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssKiB: kib(status, 'VmRSS'), peakKiB: kib(status, 'VmHWM') };
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS, so the next peak is this phase's own. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * User + system CPU time of a process, in milliseconds; with `mainThread`, of its main thread
 * only (the JavaScript event loop, without worker threads, GC helpers and libuv's pool).
 */
export function cpuMs(pid, { mainThread = false } = {}) {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Polls a process's RSS until stopped; `peakKiB` is the highest seen (VmHWM included). */
export function watchMemory(pid, intervalMs = 100) {
  let peakKiB = 0;
  const sample = () => {
    const m = memory(pid);
    if (m) peakKiB = Math.max(peakKiB, m.rssKiB, m.peakKiB);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    get peakKiB() {
      sample();
      return peakKiB;
    },
    stop() {
      sample();
      clearInterval(timer);
      return peakKiB;
    },
  };
}

/** CPU time of the whole machine from /proc/stat, in milliseconds: busy and total (all cores). */
export function machineCpuMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
  return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS, totalMs: (total * 1000) / CLOCK_TICKS };
}

/** CPU time of this process and of its children that have exited and been waited for (ms). */
export function ownCpuMs() {
  const fields = readFileSync('/proc/self/stat', 'utf8');
  const f = fields.slice(fields.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the command name).
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLOCK_TICKS;
}
