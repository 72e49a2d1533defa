import { accessSync, constants, statSync } from 'node:fs';
import { z } from 'zod';
import { HEADER_NAME, HEADER_VALUE, parseHeaderList } from '../key-value.js';
import { type EnvParser, integer, section, setting } from '../setting.js';

/**
 * The standard OTEL_EXPORTER_OTLP_* variables, read once, here, with the specification's
 * semantics: the base endpoint gets /v1/<signal> appended, a per-signal endpoint is used as is,
 * per-signal variables override the general ones, an empty variable counts as unset.
 * `resolveOtlp` turns the validated keys into what each signal's exporter is built from.
 */

export const OTLP_SIGNALS = ['logs', 'metrics', 'traces'] as const;
export type OtlpSignal = (typeof OTLP_SIGNALS)[number];

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

const noScheme = (raw: string) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(raw);

/** A URL in an error only when it can carry no credentials (user:password@, ?token=). */
const quoted = (raw: string) => (/[@?]/.test(raw) ? 'the URL' : `"${raw}"`);

function parses(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

const endpoint = z.string().superRefine((raw, ctx) => {
  if (noScheme(raw)) {
    // "localhost:4419" parses as a URL of scheme "localhost:"; the SDK then fails every export.
    const fix = !/[@?]/.test(raw) && parses(`http://${raw}`) ? `: write http://${raw} (or https://)` : ' (expected http://host:port or https://host)';
    ctx.addIssue({ code: 'custom', message: `${quoted(raw)} has no http:// or https:// scheme${fix}` });
    return;
  }
  const url = parses(raw);
  if (!url) ctx.addIssue({ code: 'custom', message: `${quoted(raw)} is not a valid URL` });
  else if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `the scheme "${url.protocol}" is not supported: OTLP/HTTP takes http:// or https://` });
  }
});

const protocol = z.enum(OTLP_PROTOCOLS, {
  error: (issue) =>
    issue.input === 'grpc'
      ? 'grpc is not supported: use http/protobuf (the default) or http/json, OTLP over HTTP (a collector listens for it on port 4318)'
      : `${JSON.stringify(issue.input)} is not supported: use http/protobuf (the default) or http/json`,
});

const compression = z.enum(['none', 'gzip'], { error: (issue) => `${JSON.stringify(issue.input)} is not supported: use none or gzip` });

const headers = z.record(
  z.string().regex(HEADER_NAME, 'not a valid HTTP header name'),
  z.string().min(1, 'an empty header value').regex(HEADER_VALUE, 'holds a character an HTTP header cannot carry'),
);

const readableFile = z.string().superRefine((path, ctx) => {
  try {
    if (!statSync(path).isFile()) {
      ctx.addIssue({ code: 'custom', message: `${path} is not a file` });
      return;
    }
    accessSync(path, constants.R_OK);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
  }
});

const positiveInt = z.number().int().positive();

// An empty OTEL_* variable counts as unset (the specification's rule): the layer below stays.
const otel =
  (parse: EnvParser): EnvParser =>
  (raw) =>
    raw.trim() === '' ? undefined : parse(raw.trim());
const asIs = otel((raw) => raw);
const lower = otel((raw) => raw.toLowerCase());

function perSignal(signal: 'LOGS' | 'METRICS' | 'TRACES') {
  const env = (name: string) => `OTEL_EXPORTER_OTLP_${signal}_${name}`;
  const inherited = '(as the general key)';
  return {
    endpoint: setting(endpoint.nullable(), null, {
      env: env('ENDPOINT'),
      fromEnv: asIs,
      shownDefault: inherited,
      doc: 'full URL for this signal, used as is (nothing appended)',
    }),
    protocol: setting(protocol.nullable(), null, { env: env('PROTOCOL'), fromEnv: asIs, shownDefault: inherited, doc: 'protocol for this signal' }),
    headers: setting(
      headers,
      {},
      {
        env: env('HEADERS'),
        fromEnv: otel(parseHeaderList),
        secret: true,
        shownDefault: '(none)',
        doc: 'headers for this signal, added to `otlp.headers` (a name in both takes this value)',
      },
    ),
    compression: setting(compression.nullable(), null, {
      env: env('COMPRESSION'),
      fromEnv: asIs,
      shownDefault: inherited,
      doc: 'compression for this signal',
    }),
    timeoutMs: setting(positiveInt.nullable(), null, {
      env: env('TIMEOUT'),
      fromEnv: otel(integer),
      shownDefault: inherited,
      doc: 'export timeout for this signal',
    }),
    certificate: setting(readableFile.nullable(), null, {
      env: env('CERTIFICATE'),
      fromEnv: asIs,
      shownDefault: inherited,
      doc: 'trusted CA certificate file for this signal',
    }),
    clientKey: setting(readableFile.nullable(), null, {
      env: env('CLIENT_KEY'),
      fromEnv: asIs,
      shownDefault: inherited,
      doc: 'client private key file for this signal',
    }),
    clientCertificate: setting(readableFile.nullable(), null, {
      env: env('CLIENT_CERTIFICATE'),
      fromEnv: asIs,
      shownDefault: inherited,
      doc: 'client certificate file for this signal',
    }),
  };
}

const signalDoc = 'Per-signal overrides: null (or an unset variable) takes the general key above.';

export const otlp = section(
  {
    endpoint: setting(endpoint, 'http://localhost:4318', {
      env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      fromEnv: asIs,
      doc: 'base URL of the OTLP/HTTP receiver; `/v1/logs`, `/v1/metrics`, `/v1/traces` are appended',
    }),
    protocol: setting(protocol, 'http/protobuf', {
      env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
      fromEnv: asIs,
      doc: '`http/protobuf` or `http/json` (gRPC is not supported)',
    }),
    headers: setting(
      headers,
      {},
      {
        env: 'OTEL_EXPORTER_OTLP_HEADERS',
        fromEnv: otel(parseHeaderList),
        secret: true,
        shownDefault: '(none)',
        doc: 'headers sent with every export, e.g. an API key for a SaaS backend. The variable is `name=value,name2=value2`, values percent-encoded (`%2C` for a comma)',
      },
    ),
    compression: setting(compression, 'none', { env: 'OTEL_EXPORTER_OTLP_COMPRESSION', fromEnv: asIs, doc: '`none` or `gzip`' }),
    timeoutMs: setting(positiveInt, 10000, {
      env: 'OTEL_EXPORTER_OTLP_TIMEOUT',
      fromEnv: otel(integer),
      doc: "how long one export request (with the exporter's own retries) may take, ms",
    }),
    certificate: setting(readableFile.nullable(), null, {
      env: 'OTEL_EXPORTER_OTLP_CERTIFICATE',
      fromEnv: asIs,
      shownDefault: '(system CAs)',
      doc: 'PEM file of the CA certificates to trust for an https endpoint',
    }),
    clientKey: setting(readableFile.nullable(), null, {
      env: 'OTEL_EXPORTER_OTLP_CLIENT_KEY',
      fromEnv: asIs,
      shownDefault: '(none)',
      doc: 'PEM file of the private key for mutual TLS',
    }),
    clientCertificate: setting(readableFile.nullable(), null, {
      env: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE',
      fromEnv: asIs,
      shownDefault: '(none)',
      doc: 'PEM file of the client certificate chain for mutual TLS',
    }),
    logs: section(perSignal('LOGS'), { doc: signalDoc, brief: true }),
    metrics: section(
      {
        ...perSignal('METRICS'),
        temporality: setting(z.enum(['cumulative', 'delta', 'lowmemory']), 'cumulative', {
          env: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
          fromEnv: lower,
          doc: 'aggregation temporality asked of the metric exporter: `cumulative`, `delta` or `lowmemory`',
        }),
      },
      { doc: signalDoc, brief: true },
    ),
    traces: section(perSignal('TRACES'), { doc: signalDoc, brief: true }),
  },
  {
    rules: [
      {
        keys: ['clientKey', 'clientCertificate', 'logs', 'metrics', 'traces'],
        check: (s) => {
          const half = OTLP_SIGNALS.filter(
            (signal) => ((s[signal].clientKey ?? s.clientKey) === null) !== ((s[signal].clientCertificate ?? s.clientCertificate) === null),
          );
          return half.length === 0
            ? undefined
            : `mutual TLS needs both a client key and a client certificate (OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE, or their per-signal forms); ${half.join(', ')} would have only one`;
        },
      },
    ],
  },
);

export type OtlpSettings = z.output<typeof otlp>;

/** What one signal's exporter is built from. */
export interface OtlpTarget {
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  compression: 'none' | 'gzip';
  timeoutMs: number;
  /** PEM file paths, read when the exporter is built. */
  tls: { ca?: string; cert?: string; key?: string };
}

export interface OtlpExportConfig {
  logs: OtlpTarget;
  metrics: OtlpTarget & { temporality: 'cumulative' | 'delta' | 'lowmemory' };
  traces: OtlpTarget;
}

const RESOURCE_PATHS: Record<OtlpSignal, string> = { logs: 'v1/logs', metrics: 'v1/metrics', traces: 'v1/traces' };

/** The key that supplies a signal's export timeout (for messages naming it). */
export function timeoutKey(settings: OtlpSettings, signal: OtlpSignal): { key: string; env: string } {
  return settings[signal].timeoutMs !== null
    ? { key: `otlp.${signal}.timeoutMs`, env: `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_TIMEOUT` }
    : { key: 'otlp.timeoutMs', env: 'OTEL_EXPORTER_OTLP_TIMEOUT' };
}

function target(settings: OtlpSettings, signal: OtlpSignal): OtlpTarget {
  const own = settings[signal];
  // The base endpoint is joined as the SDK joins it: one "/" between it and the signal's path.
  const url = own.endpoint !== null ? new URL(own.endpoint).href : settings.endpoint + (settings.endpoint.endsWith('/') ? '' : '/') + RESOURCE_PATHS[signal];
  const ca = own.certificate ?? settings.certificate;
  const cert = own.clientCertificate ?? settings.clientCertificate;
  const key = own.clientKey ?? settings.clientKey;
  return {
    url,
    protocol: own.protocol ?? settings.protocol,
    headers: { ...settings.headers, ...own.headers },
    compression: own.compression ?? settings.compression,
    timeoutMs: own.timeoutMs ?? settings.timeoutMs,
    tls: { ...(ca !== null ? { ca } : {}), ...(cert !== null ? { cert } : {}), ...(key !== null ? { key } : {}) },
  };
}

export function resolveOtlp(settings: OtlpSettings): OtlpExportConfig {
  return {
    logs: target(settings, 'logs'),
    metrics: { ...target(settings, 'metrics'), temporality: settings.metrics.temporality },
    traces: target(settings, 'traces'),
  };
}
