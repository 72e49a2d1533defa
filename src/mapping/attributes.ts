import type { AnyValue, Attributes } from '@opentelemetry/api';
import type { MetricAttributes, MetricOutput } from './types.js';

export const ATTRIBUTE_PREFIX = 'mist.';

/**
 * JSON value → OTel AnyValue, keeping objects and arrays structured. Maps are built without a
 * prototype so keys such as "__proto__" from a hostile body stay plain data.
 */
export function toAnyValue(value: unknown): AnyValue | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'object': {
      if (Array.isArray(value)) {
        const out: AnyValue[] = [];
        for (const item of value) {
          const v = toAnyValue(item);
          if (v !== undefined) out.push(v);
        }
        return out;
      }
      const out = Object.create(null) as Attributes;
      for (const key of Object.keys(value)) {
        const v = toAnyValue((value as Record<string, unknown>)[key]);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

// Field name → `mist.<field>`. Events of a topic repeat the same few dozen names, and a key
// built by concatenation is a new string for every event that the SDK and the serializer then
// flatten and hash again (measured: half of this function's time). Bounded, because the names
// come from senders.
const PREFIXED = new Map<string, string>();
const MAX_PREFIXED = 4096;

function attributeKey(field: string): string {
  let key = PREFIXED.get(field);
  if (key === undefined) {
    key = ATTRIBUTE_PREFIX + field;
    if (PREFIXED.size < MAX_PREFIXED) PREFIXED.set(field, key);
  }
  return key;
}

/** Every field of an event as `mist.<field>`; nulls are left out. */
export function eventAttributes(event: Record<string, unknown>): Attributes {
  const out = Object.create(null) as Attributes;
  for (const key of Object.keys(event)) {
    const v = toAnyValue(event[key]);
    if (v !== undefined) out[attributeKey(key)] = v;
  }
  return out;
}

/** All the attributes of a mapped point: its subject's and its own (which win a name both have). */
export function pointAttributes(point: MetricOutput): MetricAttributes {
  return point.subject === undefined ? point.attributes : { ...point.subject.attributes, ...point.attributes };
}
