/**
 * Running counts observed from their sender (a device's byte counter since boot, a client's
 * since it connected): what is shared by the series that export them as they are and the
 * aggregates that add up their increases.
 */
import { secondsToNs } from '../mapping/compile.js';

/** The last observation of one running count. */
export interface Observation {
  value: number;
  timeNs: bigint;
  /** Seconds the count had been running (the sender's uptime), when it said. */
  uptime: number | undefined;
}

// Uptime on the wire is a float of seconds: an uptime shorter than the last one by more than
// this is a restart, not rounding.
const UPTIME_SLACK_S = 1;
// Mist started in 2014: an earlier start is a placeholder or a unit mix-up.
const MIN_START_NS = BigInt(Date.UTC(2014, 0, 1)) * 1_000_000n;

/** When the count started (the observation's time minus its uptime), if that can be believed. */
export function startOf(o: Observation): bigint | undefined {
  if (o.uptime === undefined) return undefined;
  const start = o.timeNs - secondsToNs(o.uptime);
  return start >= MIN_START_NS && start <= o.timeNs ? start : undefined;
}

/**
 * Whether `next` begins a new count: the count went back, or the sender's uptime did (a reboot or
 * a reconnect, even when the new count already exceeds the old one).
 */
export function restarted(prev: Pick<Observation, 'value' | 'uptime'>, next: Pick<Observation, 'value' | 'uptime'>): boolean {
  if (next.value < prev.value) return true;
  return next.uptime !== undefined && prev.uptime !== undefined && next.uptime < prev.uptime - UPTIME_SLACK_S;
}
