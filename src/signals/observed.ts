/**
 * Running counts observed from their sender (a device's byte counter since boot, a client's
 * since it connected): what is shared by the series that export them as they are and the
 * aggregates that add up their increases.
 */

/** The last observation of one running count. */
export interface Observation {
  value: number;
  timeNs: bigint;
  /** When the sender says the count started (time − uptime), when it said. */
  startNs: bigint | undefined;
}

// Uptime on the wire is a float of seconds: an uptime shorter than the last one by more than
// this is a restart, not rounding.
const UPTIME_SLACK_NS = 1_000_000_000n;
// Mist started in 2014: an earlier start is a placeholder or a unit mix-up.
const MIN_START_NS = BigInt(Date.UTC(2014, 0, 1)) * 1_000_000n;

/** A start the sender gave that can be believed: after 2014 and not after the observation. */
export function plausibleStart(startNs: bigint | undefined, timeNs: bigint): bigint | undefined {
  return startNs !== undefined && startNs >= MIN_START_NS && startNs <= timeNs ? startNs : undefined;
}

/**
 * Whether `next` begins a new count: the count went back, or the sender's uptime did (start
 * moved later by more than the time that passed: a reboot or reconnect even when the new count
 * already exceeds the old one).
 */
export function restarted(prev: Observation, next: Observation): boolean {
  if (next.value < prev.value) return true;
  if (next.startNs === undefined || prev.startNs === undefined) return false;
  return next.startNs - prev.startNs > next.timeNs - prev.timeNs + UPTIME_SLACK_NS;
}
