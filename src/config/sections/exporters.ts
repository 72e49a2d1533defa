import { z } from 'zod';
import { type EnvParser, integer, section, setting } from '../setting.js';

/**
 * Where each signal goes: the SDK's own variables (OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER,
 * OTEL_TRACES_EXPORTER, OTEL_EXPORTER_PROMETHEUS_HOST/_PORT), so a team with a Prometheus and no
 * collector can scrape the bridge. One exporter per signal: the specification's comma-separated
 * lists are refused rather than half-honoured.
 */

export const METRICS_EXPORTERS = ['otlp', 'prometheus', 'console', 'none'] as const;
export const RECORD_EXPORTERS = ['otlp', 'console', 'none'] as const;
export type MetricsExporterName = (typeof METRICS_EXPORTERS)[number];
export type RecordExporterName = (typeof RECORD_EXPORTERS)[number];

const listed = (values: readonly string[]) => values.slice(0, -1).join(', ') + ' or ' + values.at(-1);

function exporterChoice<T extends readonly [string, ...string[]]>(values: T, signal: 'metrics' | 'logs' | 'traces') {
  return z.enum(values, {
    error: (issue) => {
      const input = String(issue.input);
      if (input.includes(',')) return `"${input}": one exporter per signal (a list is not supported); use ${listed(values)}`;
      if (input === 'prometheus') return `prometheus exports metrics only; for ${signal} use ${listed(values)}`;
      if (input === 'logging') return '"logging" is the old name of console; use console';
      return `"${input}" is not an exporter the bridge has; use ${listed(values)}`;
    },
  });
}

// As for the OTLP variables: an empty one counts as unset, and the value is case-insensitive.
const exporterName: EnvParser = (raw) => (raw.trim() === '' ? undefined : raw.trim().toLowerCase());
const port: EnvParser = (raw) => (raw.trim() === '' ? undefined : integer(raw));

export const exporters = section(
  {
    metrics: setting(exporterChoice(METRICS_EXPORTERS, 'metrics'), 'otlp', {
      env: 'OTEL_METRICS_EXPORTER',
      fromEnv: exporterName,
      doc:
        '`otlp` (to `otlp.endpoint`), `prometheus` (served for scraping on `exporters.prometheusHost`:`exporters.prometheusPort`, ' +
        'named as Prometheus stores OTLP metrics), `console` (stdout) or `none` (dropped and counted)',
    }),
    logs: setting(exporterChoice(RECORD_EXPORTERS, 'logs'), 'otlp', {
      env: 'OTEL_LOGS_EXPORTER',
      fromEnv: exporterName,
      doc: '`otlp`, `console` (stdout) or `none` (dropped and counted)',
    }),
    traces: setting(exporterChoice(RECORD_EXPORTERS, 'traces'), 'otlp', {
      env: 'OTEL_TRACES_EXPORTER',
      fromEnv: exporterName,
      doc: '`otlp`, `console` (stdout) or `none` (dropped and counted)',
    }),
    prometheusHost: setting(z.string().min(1), '0.0.0.0', {
      env: 'OTEL_EXPORTER_PROMETHEUS_HOST',
      fromEnv: (raw) => (raw.trim() === '' ? undefined : raw.trim()),
      doc: 'address the `prometheus` exporter listens on (`GET /metrics`)',
      why: "Every interface, as the JS SDK's Prometheus exporter does: a Prometheus in another container could not reach localhost.",
    }),
    prometheusPort: setting(z.number().int().min(0).max(65535), 9464, {
      env: 'OTEL_EXPORTER_PROMETHEUS_PORT',
      fromEnv: port,
      doc: 'port the `prometheus` exporter listens on (`0`: any free port)',
    }),
  },
  { doc: 'Where each signal goes (the SDK variables OTEL_METRICS_EXPORTER, OTEL_LOGS_EXPORTER, OTEL_TRACES_EXPORTER).' },
);

export type ExporterSelection = z.output<typeof exporters>;
