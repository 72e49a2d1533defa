import type { AnyValue, AnyValueMap } from '@opentelemetry/api-logs';

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
      const out = Object.create(null) as AnyValueMap;
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

/** Every field of an event as `mist.<field>`; nulls are left out. */
export function eventAttributes(event: Record<string, unknown>): AnyValueMap {
  const out = Object.create(null) as AnyValueMap;
  for (const key of Object.keys(event)) {
    const v = toAnyValue(event[key]);
    if (v !== undefined) out[ATTRIBUTE_PREFIX + key] = v;
  }
  return out;
}
