/**
 * Mist timestamps, as real deliveries carry them (FIELDS.md): epoch seconds as int or float,
 * 13-digit epoch milliseconds (NAC topics), numeric strings (mxedge-events), ISO-8601 strings
 * with no zone (alarm last_seen, meaning UTC). All become exact epoch nanoseconds.
 */

const NS_PER_S = 1_000_000_000n;

// Magnitudes that tell the unit of an epoch number: seconds until the year 5138, and
// milliseconds/microseconds/nanoseconds above that.
const MS_THRESHOLD = 1e11;
const US_THRESHOLD = 1e14;
const NS_THRESHOLD = 1e17;

/** Decimal text → nanoseconds, exactly, for an epoch in the unit `unitNs`. */
function decimalToNs(text: string, unitNs: bigint): bigint | undefined {
  const m = /^\s*(\d+)(?:\.(\d*))?\s*$/.exec(text);
  if (!m) return undefined;
  const whole = BigInt(m[1]!);
  const frac = (m[2] ?? '').slice(0, 18);
  let fracNs = 0n;
  if (frac.length > 0) {
    fracNs = (BigInt(frac) * unitNs) / 10n ** BigInt(frac.length);
  }
  return whole * unitNs + fracNs;
}

function unitOf(magnitude: number): bigint {
  if (magnitude >= NS_THRESHOLD) return 1n;
  if (magnitude >= US_THRESHOLD) return 1_000n;
  if (magnitude >= MS_THRESHOLD) return 1_000_000n;
  return NS_PER_S;
}

function numberText(value: number): string {
  // The shortest round-trip text of a double is the text the JSON sender wrote, so parsing it
  // as a decimal keeps every digit Mist sent (1695194041.635342 stays ...635342000 ns).
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(9).replace(/\.?0+$/, '');
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

function isoToNs(text: string): bigint | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const zone = m[8] ?? 'Z'; // Mist's zone-less ISO strings are UTC.
  const base = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`);
  if (Number.isNaN(base)) return undefined;
  const frac = m[7] ?? '';
  const fracNs = frac ? (BigInt(frac) * NS_PER_S) / 10n ** BigInt(frac.length) : 0n;
  return BigInt(base) * 1_000_000n + fracNs;
}

/** Any Mist time value → epoch nanoseconds, or undefined when it is not a usable time. */
export function toEpochNs(value: unknown): bigint | undefined {
  let ns: bigint | undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) return undefined;
    ns = decimalToNs(numberText(value), unitOf(value));
  } else if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^\d+(\.\d*)?$/.test(trimmed)) {
      const magnitude = Number(trimmed);
      if (magnitude <= 0) return undefined;
      ns = decimalToNs(trimmed, unitOf(magnitude));
    } else {
      ns = isoToNs(trimmed);
    }
  }
  return ns !== undefined && ns > 0n ? ns : undefined;
}

/** Nanoseconds → the [seconds, nanoseconds] pair the OTel SDK takes as a time input. */
export function nsToHrTime(ns: bigint): [number, number] {
  return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}

export function nowNs(): bigint {
  // Date.now() anchors the epoch; hrtime adds sub-millisecond resolution.
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}
