import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import { resourceAttributesEnvDetector } from '@opentelemetry/resources';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHeaderList, parseResourceAttributes } from './key-value.js';
import { loadConfig } from './load.js';
import { resolveOtlp } from './sections/otlp.js';

const signed = { MIST_WEBHOOK_SECRET: 's' };
const targets = (env: Record<string, string>) => resolveOtlp(loadConfig({ env: { ...signed, ...env } }).otlp);

describe('the OTLP exporter settings', () => {
  it('append /v1/<signal> to the base endpoint and use a per-signal endpoint as is', () => {
    expect(targets({}).logs.url).toBe('http://localhost:4318/v1/logs');
    expect(targets({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example:4318/' }).metrics.url).toBe('https://otlp.example:4318/v1/metrics');
    expect(targets({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example/otlp' }).traces.url).toBe('https://gw.example/otlp/v1/traces');
    const t = targets({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs.example/ingest',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces.example:4318',
    });
    expect([t.logs.url, t.metrics.url, t.traces.url]).toEqual(['http://logs.example/ingest', 'http://base:4318/v1/metrics', 'http://traces.example:4318/']);
  });

  it('let per-signal variables override the general ones, and merge headers name by name', () => {
    const t = targets({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
      OTEL_EXPORTER_OTLP_LOGS_TIMEOUT: '4000',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic dXNlcjpwYXNz==, x-tenant = a%20b ',
      OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-tenant=logs,x-extra=1',
    });
    expect(t.logs).toMatchObject({
      protocol: 'http/json',
      compression: 'gzip',
      timeoutMs: 4000,
      headers: { authorization: 'Basic dXNlcjpwYXNz==', 'x-tenant': 'logs', 'x-extra': '1' },
    });
    expect(t.metrics).toMatchObject({
      protocol: 'http/protobuf',
      compression: 'gzip',
      timeoutMs: 3000,
      headers: { authorization: 'Basic dXNlcjpwYXNz==', 'x-tenant': 'a b' },
      temporality: 'cumulative',
    });
    expect(t.traces).toMatchObject({ protocol: 'http/json', compression: 'none', timeoutMs: 3000 });
  });

  it('can be given in a --config file as well (overrides here), with the same checks', () => {
    const c = loadConfig({
      env: signed,
      overrides: { otlp: { endpoint: 'http://collector:4318', headers: { 'x-key': 'v' }, traces: { protocol: 'http/json' } } },
    });
    expect(resolveOtlp(c.otlp).traces).toMatchObject({ url: 'http://collector:4318/v1/traces', protocol: 'http/json', headers: { 'x-key': 'v' } });
    expect(() => loadConfig({ env: signed, overrides: { otlp: { headers: { 'bad name': 'v' } } } })).toThrow(
      /otlp\.headers\.bad name: .*not a valid HTTP header name/,
    );
  });
});

describe('header lists', () => {
  it('are read as the SDK reads the valid ones', () => {
    const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
    const value = fc.stringMatching(/^[ -~]{1,30}$/).filter((v) => v.trim() !== '');
    fc.assert(
      fc.property(fc.dictionary(token, value, { minKeys: 1, maxKeys: 5 }), fc.boolean(), (headers, spaced) => {
        const raw = Object.entries(headers)
          .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
          .join(spaced ? ' , ' : ',');
        expect(parseHeaderList(raw)).toEqual(parseKeyPairsIntoRecord(raw));
      }),
    );
  });

  it('name what the SDK would skip or send broken', () => {
    const bad: Array<[string, RegExp]> = [
      ['api-key', /entry 1 has no "="/],
      ['a=1,=2', /entry 2 has an empty header name/],
      ['a b=1', /"a b" is not a valid HTTP header name/],
      ['a=', /header "a" has an empty value/],
      ['a=1;meta', /header "a": ";" starts metadata/],
      ['a=%E0%A4%A', /header "a": the value is not valid percent-encoding/],
      ['a=x%0Ay', /header "a": the value holds a character an HTTP header cannot carry/],
    ];
    for (const [raw, message] of bad) expect(() => parseHeaderList(raw), raw).toThrow(message);
  });
});

describe('OTEL_RESOURCE_ATTRIBUTES', () => {
  const sdk = resourceAttributesEnvDetector as unknown as { _parseResourceAttributes(raw: string): Record<string, string> };

  it('is read as the SDK reads it when it is valid', () => {
    const text = fc.stringMatching(/^[ -~]{0,20}$/);
    fc.assert(
      fc.property(
        fc.dictionary(
          text.filter((k) => k.trim() !== ''),
          text,
          { minKeys: 1, maxKeys: 5 },
        ),
        (attributes) => {
          const raw = Object.entries(attributes)
            .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
            .join(',');
          expect(parseResourceAttributes(raw)).toEqual(sdk._parseResourceAttributes(raw));
        },
      ),
    );
  });

  it('is refused, naming the entry, where the SDK would drop the whole variable', () => {
    for (const raw of ['a=1,b', 'a=1=2', '=x', 'a=%zz', `a=${'x'.repeat(256)}`]) {
      expect(() => sdk._parseResourceAttributes(raw), raw).toThrow();
      expect(() => parseResourceAttributes(raw), raw).toThrow(/entry \d/);
    }
  });
});
