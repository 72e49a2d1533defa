/**
 * otel-collector.yaml, checked the way the collector itself would reject it at start-up (a
 * pipeline naming an undefined component, a defined component no pipeline uses, a connector not
 * joining two pipelines) plus the choices the bridge relies on.
 */
import { describe, expect, it } from 'vitest';
import { readRepoText, readRepoYaml } from './repo.js';

interface Pipeline {
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}

interface CollectorConfig {
  extensions?: Record<string, unknown>;
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  exporters?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const SIGNALS = ['logs', 'metrics', 'traces'] as const;
const typeOf = (id: string): string => id.split('/')[0]!;
const keys = (section: Record<string, unknown> | undefined): string[] => Object.keys(section ?? {});

/** What otelcol would refuse in this configuration's service graph, one message per problem. */
export function pipelineProblems(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const pipelines = Object.entries(config.service?.pipelines ?? {});
  if (pipelines.length === 0) problems.push('service.pipelines is empty');
  const receivers = new Set(keys(config.receivers));
  const processors = new Set(keys(config.processors));
  const exporters = new Set(keys(config.exporters));
  const connectors = new Set(keys(config.connectors));
  const used = { receivers: new Set<string>(), processors: new Set<string>(), exporters: new Set<string>() };

  for (const [id, p] of pipelines) {
    if (!(SIGNALS as readonly string[]).includes(typeOf(id))) problems.push(`pipeline ${id}: unknown signal "${typeOf(id)}"`);
    if ((p.receivers ?? []).length === 0) problems.push(`pipeline ${id}: no receivers`);
    if ((p.exporters ?? []).length === 0) problems.push(`pipeline ${id}: no exporters`);
    for (const r of p.receivers ?? []) {
      used.receivers.add(r);
      if (!receivers.has(r) && !connectors.has(r)) problems.push(`pipeline ${id}: receiver "${r}" is not defined`);
    }
    for (const q of p.processors ?? []) {
      used.processors.add(q);
      if (!processors.has(q)) problems.push(`pipeline ${id}: processor "${q}" is not defined`);
    }
    for (const e of p.exporters ?? []) {
      used.exporters.add(e);
      if (!exporters.has(e) && !connectors.has(e)) problems.push(`pipeline ${id}: exporter "${e}" is not defined`);
    }
  }
  for (const r of receivers) if (!used.receivers.has(r)) problems.push(`receiver "${r}" is defined but no pipeline uses it`);
  for (const q of processors) if (!used.processors.has(q)) problems.push(`processor "${q}" is defined but no pipeline uses it`);
  for (const e of exporters) if (!used.exporters.has(e)) problems.push(`exporter "${e}" is defined but no pipeline uses it`);
  for (const c of connectors) {
    if (!used.exporters.has(c)) problems.push(`connector "${c}" is no pipeline's exporter`);
    if (!used.receivers.has(c)) problems.push(`connector "${c}" is no pipeline's receiver`);
  }
  const extensions = new Set(keys(config.extensions));
  for (const x of config.service?.extensions ?? []) if (!extensions.has(x)) problems.push(`service extension "${x}" is not defined`);
  for (const x of extensions) if (!(config.service?.extensions ?? []).includes(x)) problems.push(`extension "${x}" is defined but not enabled in service.extensions`);
  return problems;
}

const config = readRepoYaml<CollectorConfig>('otel-collector.yaml');
const pipelines = Object.entries(config.service.pipelines);
const pipelinesOf = (signal: string) => pipelines.filter(([id]) => typeOf(id) === signal).map(([, p]) => p);

describe('otel-collector.yaml', () => {
  it('references only defined components, and uses every component it defines', () => {
    expect(pipelineProblems(config)).toEqual([]);
  });

  it('the check itself catches undefined, unused and dangling components', () => {
    const broken = structuredClone(config);
    broken.service.pipelines.logs = { receivers: ['otlp'], processors: ['memory_limiter', 'attributes'], exporters: ['otlp_http', 'debug'] };
    broken.exporters = { ...broken.exporters, 'otlp_http/unused': {} };
    broken.connectors = { ...broken.connectors, count: {} };
    expect(pipelineProblems(broken)).toEqual(
      expect.arrayContaining([
        'pipeline logs: processor "attributes" is not defined',
        'pipeline logs: exporter "debug" is not defined',
        'exporter "otlp_http/unused" is defined but no pipeline uses it',
        'connector "count" is no pipeline\'s exporter',
        'connector "count" is no pipeline\'s receiver',
      ]),
    );
    // batch is still used by the metrics and traces pipelines, so it is not reported.
    expect(pipelineProblems(broken)).not.toContain('processor "batch" is defined but no pipeline uses it');
  });

  it('receives OTLP over gRPC (4317) and HTTP (4318) on every interface', () => {
    const otlp = config.receivers?.otlp as { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } };
    expect(otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
  });

  it('has a pipeline for every signal, each starting with memory_limiter and batching', () => {
    for (const signal of SIGNALS) {
      const ps = pipelinesOf(signal);
      expect(ps.length, signal).toBeGreaterThan(0);
      for (const p of ps) {
        expect(p.processors?.[0], `${signal}: memory_limiter must come first`).toBe('memory_limiter');
        expect(p.processors).toContain('batch');
      }
    }
  });

  it('turns session spans into metrics: spanmetrics takes traces and feeds the metrics pipeline', () => {
    const spanmetrics = Object.keys(config.connectors ?? {}).filter((c) => typeOf(c) === 'spanmetrics');
    expect(spanmetrics).toHaveLength(1);
    const id = spanmetrics[0]!;
    expect(pipelinesOf('traces').some((p) => p.exporters?.includes(id))).toBe(true);
    expect(pipelinesOf('metrics').some((p) => p.receivers?.includes(id))).toBe(true);
    for (const [pid, p] of pipelines) {
      if (p.exporters?.includes(id)) expect(typeOf(pid), `${pid} exports to ${id}`).toBe('traces');
      if (p.receivers?.includes(id)) expect(typeOf(pid), `${pid} receives from ${id}`).toBe('metrics');
    }
    const cfg = config.connectors![id] as { namespace: string; histogram: { unit: string } };
    expect(cfg.namespace).toBe('mist.session');
    // The dashboards query mist_session_duration_seconds_*: the unit is part of the name.
    expect(cfg.histogram.unit).toBe('s');
  });

  it('exports every signal over OTLP/HTTP, gzip, to an endpoint and Authorization taken from the environment', () => {
    const exporterIds = Object.keys(config.exporters ?? {});
    expect(exporterIds.map(typeOf)).toEqual(['otlp_http']);
    const exporter = config.exporters![exporterIds[0]!] as { endpoint: string; compression: string; headers: Record<string, string> };
    expect(exporter.compression).toBe('gzip');
    expect(exporter.endpoint).toMatch(/^\$\{env:[A-Z_]+\}$/);
    expect(exporter.headers.Authorization).toMatch(/^\$\{env:[A-Z_]+:-\}$/);
    for (const signal of SIGNALS) {
      expect(pipelinesOf(signal).some((p) => p.exporters?.includes(exporterIds[0]!)), signal).toBe(true);
    }
  });

  it('documents in its header every environment variable it reads', () => {
    const text = readRepoText('otel-collector.yaml');
    const header = text.slice(0, text.search(/^[^#\s]/m));
    const variables = [...text.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
    expect(variables.length).toBeGreaterThan(0);
    for (const v of variables) expect(header, v).toContain(v);
  });
});
