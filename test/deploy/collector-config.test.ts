/**
 * otel-collector.yaml, checked the way the collector itself would reject it at start-up (a
 * pipeline naming an undefined component, a defined component no pipeline uses, a connector not
 * joining two pipelines, a batch sizer it refuses) plus what the bridge relies on: whatever the
 * collector acknowledges is on disk until the backend has it (durabilityProblems).
 *
 * The rules follow the collector's source at the pinned version (core v0.159.0):
 * exporter/exporterhelper/internal/queuebatch/config.go (queue keys and Validate),
 * exporter/exporterhelper/internal/queue/persistent_queue.go (Offer writes to storage before it
 * returns; an item leaves storage only in onDone, after its export), internal/retry_sender.go
 * (max_elapsed_time 0 retries forever), processor/batchprocessor (answers before exporting).
 */
import { describe, expect, it } from 'vitest';
import { SPAN_METRICS_TYPE } from './emitted.js';
import { readRepoText, readRepoYaml } from './repo.js';

interface Pipeline {
  receivers?: string[];
  processors?: string[];
  exporters?: string[];
}

interface QueueConfig {
  enabled?: boolean;
  storage?: string;
  block_on_overflow?: boolean;
  wait_for_result?: boolean;
  sizer?: string;
  queue_size?: number;
  batch?: { sizer?: string; flush_timeout?: string; min_size?: number; max_size?: number } | null;
}

interface ExporterConfig {
  endpoint?: string;
  headers?: unknown;
  compression?: string;
  retry_on_failure?: { enabled?: boolean; max_elapsed_time?: string | number };
  sending_queue?: QueueConfig;
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
function pipelineProblems(config: CollectorConfig): string[] {
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
  for (const x of extensions)
    if (!(config.service?.extensions ?? []).includes(x)) problems.push(`extension "${x}" is defined but not enabled in service.extensions`);
  return problems;
}

const isZeroDuration = (v: unknown): boolean => v === 0 || (typeof v === 'string' && /^0+(ns|us|µs|ms|s|m|h)?$/.test(v.trim()));

/**
 * Why what this collector acknowledges could be lost before the backend has it, one message per
 * reason: a `batch` processor (it answers the receiver before exporting and only logs a failed
 * export), an exporter queue that lives in memory, drops when full or gives up retrying, a storage
 * extension that is missing, not enabled or not a file_storage, a batch sizer the collector refuses.
 */
function durabilityProblems(config: CollectorConfig): string[] {
  const problems: string[] = [];
  const extensions = config.extensions ?? {};
  const enabled = new Set(config.service?.extensions ?? []);
  for (const [id, p] of Object.entries(config.service?.pipelines ?? {})) {
    for (const q of p.processors ?? []) if (typeOf(q) === 'batch') problems.push(`pipeline ${id}: processor "${q}" acknowledges before exporting`);
  }
  const used = new Set(Object.values(config.service?.pipelines ?? {}).flatMap((p) => p.exporters ?? []));
  for (const [id, raw] of Object.entries(config.exporters ?? {})) {
    if (!used.has(id)) continue;
    const exporter = raw as ExporterConfig;
    const queue = exporter.sending_queue;
    if (queue === undefined || queue.enabled === false) {
      problems.push(`exporter ${id}: no sending_queue`);
      continue;
    }
    if (!queue.storage) problems.push(`exporter ${id}: sending_queue has no storage (an in-memory queue is lost on restart)`);
    else if (!Object.hasOwn(extensions, queue.storage)) problems.push(`exporter ${id}: storage "${queue.storage}" is not a defined extension`);
    else {
      if (typeOf(queue.storage) !== 'file_storage') problems.push(`exporter ${id}: storage "${queue.storage}" is not a file_storage extension`);
      if (!enabled.has(queue.storage)) problems.push(`exporter ${id}: storage "${queue.storage}" is not enabled in service.extensions`);
    }
    if (queue.block_on_overflow !== true) problems.push(`exporter ${id}: sending_queue drops when full (block_on_overflow is not true)`);
    if (queue.storage && queue.wait_for_result) problems.push(`exporter ${id}: wait_for_result is refused with a persistent queue`);
    const retry = exporter.retry_on_failure;
    if (retry?.enabled === false) problems.push(`exporter ${id}: retry_on_failure is disabled`);
    if (retry === undefined || !isZeroDuration(retry.max_elapsed_time))
      problems.push(`exporter ${id}: retries stop after max_elapsed_time (5m by default); 0 retries until delivered`);
    if (queue.batch) {
      // queuebatch.Config.Unmarshal gives the batch the queue's sizer when it names none; a batch
      // only accepts items or bytes.
      const sizer = queue.batch.sizer ?? queue.sizer ?? 'items';
      if (sizer !== 'items' && sizer !== 'bytes') problems.push(`exporter ${id}: sending_queue.batch sizer "${sizer}" is refused (items or bytes)`);
    }
  }
  for (const [id, raw] of Object.entries(extensions)) {
    if (typeOf(id) !== 'file_storage') continue;
    const storage = (raw ?? {}) as { directory?: string; fsync?: boolean };
    if (!storage.directory?.startsWith('/')) problems.push(`extension ${id}: directory must be an absolute path (a volume)`);
  }
  return problems;
}

/** Header values that come from a variable inside the map: unset, they still send the header, empty. */
function emptyHeaderRisks(config: CollectorConfig): string[] {
  const risks: string[] = [];
  for (const [id, raw] of Object.entries(config.exporters ?? {})) {
    const headers = (raw as ExporterConfig).headers;
    if (headers === undefined || typeof headers === 'string') continue;
    const pairs = Array.isArray(headers)
      ? (headers as { name: string; value: unknown }[]).map((h) => [h.name, h.value] as const)
      : Object.entries(headers as Record<string, unknown>);
    for (const [name, value] of pairs) {
      if (typeof value === 'string' && value.includes('${')) risks.push(`exporter ${id}: header ${name} is sent even when ${value} is empty`);
    }
  }
  return risks;
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
    broken.extensions = { ...broken.extensions, 'file_storage/spare': { directory: '/tmp' } };
    expect(pipelineProblems(broken)).toEqual(
      expect.arrayContaining([
        'pipeline logs: processor "attributes" is not defined',
        'pipeline logs: exporter "debug" is not defined',
        'exporter "otlp_http/unused" is defined but no pipeline uses it',
        'connector "count" is no pipeline\'s exporter',
        'connector "count" is no pipeline\'s receiver',
        'extension "file_storage/spare" is defined but not enabled in service.extensions',
      ]),
    );
    // memory_limiter is still used by the metrics and traces pipelines, so it is not reported.
    expect(pipelineProblems(broken)).not.toContain('processor "memory_limiter" is defined but no pipeline uses it');
  });

  it('receives OTLP over gRPC (4317) and HTTP (4318) on every interface', () => {
    const otlp = config.receivers?.otlp as { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } };
    expect(otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
  });

  it('has a pipeline for every signal, each starting with memory_limiter (the one part that pushes back)', () => {
    for (const signal of SIGNALS) {
      const ps = pipelinesOf(signal);
      expect(ps.length, signal).toBeGreaterThan(0);
      for (const p of ps) expect(p.processors?.[0], `${signal}: memory_limiter must come first`).toBe('memory_limiter');
    }
  });

  it('keeps what it acknowledged until the backend has it: no batch processor, a blocking persistent queue, retries without end', () => {
    expect(durabilityProblems(config)).toEqual([]);
    const exporter = config.exporters!.otlp_http as ExporterConfig;
    expect(exporter.sending_queue!.batch, 'batching moved into the exporter queue, after the disk').toBeTruthy();
  });

  it('the durability check catches each way back to losing data', () => {
    const broken = structuredClone(config);
    broken.processors = { ...broken.processors, batch: {} };
    broken.service.pipelines.logs!.processors = ['memory_limiter', 'batch'];
    const exporter = broken.exporters!.otlp_http as ExporterConfig;
    exporter.sending_queue = { ...exporter.sending_queue, block_on_overflow: false, batch: { flush_timeout: '1s' }, sizer: 'requests' };
    exporter.retry_on_failure = { enabled: true, max_elapsed_time: '5m' };
    broken.service.extensions = ['health_check'];
    expect(durabilityProblems(broken)).toEqual([
      'pipeline logs: processor "batch" acknowledges before exporting',
      'exporter otlp_http: storage "file_storage/queue" is not enabled in service.extensions',
      'exporter otlp_http: sending_queue drops when full (block_on_overflow is not true)',
      'exporter otlp_http: retries stop after max_elapsed_time (5m by default); 0 retries until delivered',
      'exporter otlp_http: sending_queue.batch sizer "requests" is refused (items or bytes)',
    ]);
    delete exporter.sending_queue!.storage;
    expect(durabilityProblems(broken)).toContain('exporter otlp_http: sending_queue has no storage (an in-memory queue is lost on restart)');
    exporter.sending_queue = { enabled: false };
    expect(durabilityProblems(broken)).toContain('exporter otlp_http: no sending_queue');
  });

  it('stores the queue in a file_storage extension on an absolute directory, fsynced, compacting in place', () => {
    const [id, storage] = Object.entries(config.extensions ?? {}).find(([x]) => typeOf(x) === 'file_storage')! as [
      string,
      { directory: string; fsync: boolean; compaction?: { directory?: string; on_rebound?: boolean } },
    ];
    expect((config.exporters!.otlp_http as ExporterConfig).sending_queue!.storage).toBe(id);
    expect(storage.directory).toMatch(/^\//);
    expect(storage.fsync).toBe(true);
    // Compaction writes its temporary file in compaction.directory, which must exist too.
    if (storage.compaction?.on_rebound) expect(storage.compaction.directory).toBe(storage.directory);
  });

  it('turns session spans into metrics: span_metrics takes traces and feeds the metrics pipeline', () => {
    // `spanmetrics` is the deprecated alias: it still loads, with a warning at every start.
    expect(Object.keys(config.connectors ?? {}).filter((c) => typeOf(c) === 'spanmetrics')).toEqual([]);
    const spanmetrics = Object.keys(config.connectors ?? {}).filter((c) => typeOf(c) === SPAN_METRICS_TYPE);
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

  it('exports every signal over OTLP/HTTP, gzip, to an endpoint and headers taken whole from the environment', () => {
    const exporterIds = Object.keys(config.exporters ?? {});
    expect(exporterIds.map(typeOf)).toEqual(['otlp_http']);
    const exporter = config.exporters![exporterIds[0]!] as ExporterConfig;
    expect(exporter.compression).toBe('gzip');
    expect(exporter.endpoint).toMatch(/^\$\{env:[A-Z_]+\}$/);
    // A whole-value reference is parsed as YAML (confmap/provider/envprovider): a map when set,
    // null when empty or unset, so no header is sent at all rather than an empty one.
    expect(exporter.headers).toMatch(/^\$\{env:[A-Z_]+\}$/);
    expect(emptyHeaderRisks(config)).toEqual([]);
    const old = structuredClone(config);
    (old.exporters!.otlp_http as ExporterConfig).headers = { Authorization: '${env:OTLP_BACKEND_AUTHORIZATION:-}' };
    expect(emptyHeaderRisks(old)).toEqual(['exporter otlp_http: header Authorization is sent even when ${env:OTLP_BACKEND_AUTHORIZATION:-} is empty']);
    for (const signal of SIGNALS) {
      expect(
        pipelinesOf(signal).some((p) => p.exporters?.includes(exporterIds[0]!)),
        signal,
      ).toBe(true);
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
