import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { expect } from 'vitest';
import type { MemoryRequest } from './memory-otlp.js';

/**
 * Golden files of what the bridge exports, compared as the OpenTelemetry Collector's receivers
 * compare theirs (collector-contrib pkg/golden with pkg/pdatatest): the OTLP/JSON the SDK makes,
 * with the fields that differ from run to run or machine to machine masked (pmetrictest's
 * IgnoreResourceAttributeValue, IgnoreStartTimestamp, IgnoreTimestamp) and the orders nothing
 * promises made canonical (IgnoreMetricsOrder, IgnoreMetricDataPointsOrder, attribute order), so
 * everything else — names, units, values, event times, attributes, bodies, severities, span trees
 * — is compared exactly.
 *
 * `UPDATE_GOLDEN=1` writes the goldens instead of comparing (review the diff before committing).
 */

export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

/** What is masked: each value the same for every run of the same code on any machine afterwards. */
export interface Volatile {
  /** Resource attributes whose values depend on the host or the release. */
  resourceAttributes: readonly string[];
  /** Scopes left out (the bridge's figures about itself: export durations, queue sizes). */
  scopes: readonly string[];
  /**
   * The wall-clock span of the run (epoch ns): a time inside it was read from the clock by the
   * SDK (a counter's start, a collection), not taken from the data, and is masked. The data's
   * times (fixtures from 2023–2025, a test clock) are far outside it.
   */
  wallClock: { fromNs: bigint; toNs: bigint };
}

export const VOLATILE_RESOURCE_ATTRIBUTES = ['service.instance.id', 'service.version', 'telemetry.sdk.version'] as const;
const MASK = '<volatile>';
const WALL_CLOCK = '<wall clock>';
const TIME_FIELDS = new Set(['timeUnixNano', 'observedTimeUnixNano', 'startTimeUnixNano', 'endTimeUnixNano']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const CONTAINERS = {
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
} as const;

/**
 * The exports of one signal as one OTLP/JSON request (what a backend would hold after all of
 * them), normalised: records of the same resource and scope together, in the order they were
 * exported (log records keep the order of the events they came from); metrics by name, their
 * points by attributes then time; spans by trace, start time and name; attributes by key.
 */
export function normalise(signal: MemoryRequest['signal'], requests: readonly MemoryRequest[], volatile: Volatile): Obj {
  const [resourceKey, scopeKey, itemsKey] = CONTAINERS[signal];
  const groups = new Map<string, { resource: Json; scope: Json; items: Json[] }>();
  for (const request of requests) {
    if (request.signal !== signal) continue;
    for (const r of (request.otlp[resourceKey] ?? []) as Obj[]) {
      const resource = maskResource(r.resource as Obj, volatile);
      for (const s of (r[scopeKey] ?? []) as Obj[]) {
        const scope = s.scope as Obj;
        if (volatile.scopes.includes(scope.name as string)) continue;
        const masked: Obj = { ...scope, ...(scope.version === undefined ? {} : { version: MASK }) };
        const key = JSON.stringify([resource, masked]);
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { resource, scope: masked, items: [] }));
        group.items.push(...((s[itemsKey] ?? []) as Json[]));
      }
    }
  }
  const resources = new Map<string, { resource: Json; scopes: Obj[] }>();
  for (const { resource, scope, items } of groups.values()) {
    const key = JSON.stringify(resource);
    let entry = resources.get(key);
    if (!entry) resources.set(key, (entry = { resource, scopes: [] }));
    entry.scopes.push({
      scope,
      [itemsKey]: order(
        signal,
        items.map((i) => canonical(i, volatile)),
      ),
    });
  }
  return { [resourceKey]: [...resources.values()].map(({ resource, scopes }) => ({ resource, [scopeKey]: scopes })) };
}

function maskResource(resource: Obj, volatile: Volatile): Obj {
  const attributes = ((resource.attributes ?? []) as Obj[]).map(
    (a): Obj => (volatile.resourceAttributes.includes(a.key as string) ? { key: a.key!, value: { stringValue: MASK } } : a),
  );
  return canonical({ ...resource, attributes }, volatile) as Obj;
}

/** Attribute lists sorted by key, data points sorted, wall-clock times masked, at every depth. */
function canonical(value: Json, volatile: Volatile, field = ''): Json {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, volatile));
    if ((field === 'attributes' || field === 'values') && items.every(isKeyValue))
      return items.sort((a, b) => compare((a as Obj).key as string, (b as Obj).key as string));
    if (field === 'dataPoints') return items.sort((a, b) => compare(pointKey(a as Obj), pointKey(b as Obj)));
    return items;
  }
  if (value === null || typeof value !== 'object') {
    if (TIME_FIELDS.has(field) && typeof value === 'string' && /^\d+$/.test(value)) {
      const t = BigInt(value);
      if (t >= volatile.wallClock.fromNs && t <= volatile.wallClock.toNs) return WALL_CLOCK;
    }
    return value;
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = canonical(v, volatile, k);
  return out;
}

function isKeyValue(v: Json): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof v.key === 'string' && 'value' in v;
}

function pointKey(p: Obj): string {
  return JSON.stringify([p.attributes ?? [], String(p.timeUnixNano ?? '').padStart(20, '0')]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function order(signal: MemoryRequest['signal'], items: Json[]): Json[] {
  if (signal === 'metrics') return items.sort((a, b) => compare((a as Obj).name as string, (b as Obj).name as string));
  if (signal === 'traces') {
    const key = (s: Obj) => JSON.stringify([s.traceId, String(s.startTimeUnixNano).padStart(20, '0'), s.name, s.spanId]);
    return items.sort((a, b) => compare(key(a as Obj), key(b as Obj)));
  }
  return items;
}

/**
 * JSON for a golden file: an object or array on one line when it fits in `width` characters,
 * otherwise one member a line, so a diff shows which attribute or point changed.
 */
export function render(value: unknown, width = 110): string {
  return format(value as Json, '', width) + '\n';
}

function format(value: Json, indent: string, width: number): string {
  const flat = JSON.stringify(value);
  if (value === null || typeof value !== 'object' || indent.length + flat.length <= width) return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + format(v, inner, width)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner, width)}`).join(',\n')}\n${indent}}`;
}

/** `actual` against the golden at `path`, or written there with UPDATE_GOLDEN=1. */
export function expectGolden(path: string, actual: string): void {
  if (UPDATE_GOLDEN) {
    writeFileSync(path, actual);
    return;
  }
  const name = relative(process.cwd(), path);
  if (!existsSync(path)) throw new Error(`${name} does not exist: run with UPDATE_GOLDEN=1 to write it, then review it`);
  expect(actual, `${name} (after an intended change: UPDATE_GOLDEN=1, then review the diff)`).toBe(readFileSync(path, 'utf8'));
}
