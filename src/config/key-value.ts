import { EnvValueError } from './setting.js';

/**
 * The `key=value,key2=value2` lists of OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES,
 * parsed as the OpenTelemetry specification writes them (the W3C Baggage format without
 * metadata, keys and values percent-decoded, blanks around them ignored). Where the SDK skips a
 * bad entry, or drops the whole variable, without a word, these throw, so the bridge refuses
 * to start with the problem named instead of running without a header or an attribute.
 */

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Non-blank entries, numbered from 1 as a person counts them. */
function entries(raw: string): Array<{ n: number; text: string }> {
  return raw
    .split(',')
    .map((text, i) => ({ n: i + 1, text }))
    .filter((e) => e.text.trim() !== '');
}

// RFC 9110 field names are tokens; values may not hold control characters (Node refuses to
// send them, so the export would fail on every request instead of here).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * OTEL_EXPORTER_OTLP_HEADERS. Values are usually credentials, so no message quotes one. The
 * first "=" separates name and value (base64 padding in a token is common and the SDK allows it).
 */
export function parseHeaderList(raw: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { n, text } of entries(raw)) {
    const eq = text.indexOf('=');
    if (eq < 0) throw new EnvValueError(`entry ${n} has no "=" (expected name=value, comma-separated)`);
    const name = decode(text.slice(0, eq).trim());
    if (name === undefined) throw new EnvValueError(`entry ${n}: the name is not valid percent-encoding`);
    if (name === '') throw new EnvValueError(`entry ${n} has an empty header name`);
    if (!TOKEN.test(name)) throw new EnvValueError(`entry ${n}: "${name}" is not a valid HTTP header name`);
    const rawValue = text.slice(eq + 1).trim();
    if (rawValue.includes(';')) {
      throw new EnvValueError(`header "${name}": ";" starts metadata, which OTLP headers do not have; percent-encode it as %3B`);
    }
    const value = decode(rawValue);
    if (value === undefined) throw new EnvValueError(`header "${name}": the value is not valid percent-encoding (a literal "%" is %25)`);
    if (value === '') throw new EnvValueError(`header "${name}" has an empty value`);
    if (!FIELD_VALUE.test(value)) throw new EnvValueError(`header "${name}": the value holds a character an HTTP header cannot carry`);
    headers[name] = value;
  }
  return headers;
}

/** The SDK's limit on a resource attribute key or value read from the environment. */
export const RESOURCE_TEXT_MAX = 255;

/** OTEL_RESOURCE_ATTRIBUTES: as the SDK's ResourceAttributesEnvDetector, but loud. */
export function parseResourceAttributes(raw: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const { n, text } of entries(raw)) {
    const parts = text.split('=');
    if (parts.length !== 2) {
      throw new EnvValueError(`entry ${n} "${text.trim()}": expected key=value, with any "," or "=" inside a key or value percent-encoded (%2C, %3D)`);
    }
    const key = decode(parts[0]!.trim());
    const value = decode(parts[1]!.trim());
    if (key === undefined || value === undefined) throw new EnvValueError(`entry ${n} "${text.trim()}" is not valid percent-encoding (a literal "%" is %25)`);
    if (key === '') throw new EnvValueError(`entry ${n} "${text.trim()}" has an empty key`);
    if (key.length > RESOURCE_TEXT_MAX) throw new EnvValueError(`entry ${n}: the key is longer than ${RESOURCE_TEXT_MAX} characters`);
    if (value.length > RESOURCE_TEXT_MAX) throw new EnvValueError(`entry ${n} "${key}": the value is longer than ${RESOURCE_TEXT_MAX} characters`);
    attributes[key] = value;
  }
  return attributes;
}

export const HEADER_NAME = TOKEN;
export const HEADER_VALUE = FIELD_VALUE;
