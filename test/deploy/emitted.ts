/**
 * What the bridge really emits when fed the deploy fixtures (webhook deliveries) and the stream of
 * the demo's stand-in of Mist's APIs, as a Prometheus/Loki/Tempo backend
 * behind otel-collector.yaml would store it: a real bridge exports (in memory, as OTLP:
 * test/support/memory-otlp.ts), and the exported metric names, units and kinds are translated by
 * the Prometheus rules; the collector's
 * spanmetrics connector adds its metrics when session spans arrive.
 */
import { readFileSync } from 'node:fs';
import { startMistStandIn } from '../../deploy/demo/mist-stand-in.mjs';
import { type HarnessOptions, startTestBridge } from '../support/bridge-harness.js';
import { MemoryOtlp } from '../support/memory-otlp.js';
import { postDelivery } from '../support/mist-client.js';
import type { ReceivedLog, ReceivedPoint, ReceivedSpan } from '../support/otlp-receiver.js';
import { type OtlpMetricShape, prometheusLabelName, prometheusSeriesNames } from './prometheus-names.js';
import { readRepoYaml } from './repo.js';
import { startTrouble } from './trouble.js';

export interface PrometheusSeries {
  /** The OTLP metric it comes from (name, unit, kind). */
  source: OtlpMetricShape;
  /** Label names on its points (attributes translated, plus le for histogram buckets). */
  labels: Set<string>;
}

export interface Emitted {
  /** Prometheus series name → where it comes from and its labels. */
  series: Map<string, PrometheusSeries>;
  logs: ReceivedLog[];
  spans: ReceivedSpan[];
}

/**
 * Labels a Prometheus OTLP receiver adds to every series from the resource: service.name → job,
 * service.instance.id → instance, and (otel-lgtm's promote_resource_attributes) service_name,
 * service_version, service_instance_id.
 */
export const RESOURCE_LABELS = ['job', 'instance', 'service_name', 'service_version', 'service_instance_id'];

interface SpanmetricsConfig {
  namespace?: string;
  histogram?: { unit?: string; disable?: boolean };
  dimensions?: { name: string }[];
}

/** The connector's type; `spanmetrics` is its deprecated alias (contrib connector/spanmetricsconnector/metadata.yaml). */
export const SPAN_METRICS_TYPE = 'span_metrics';

export function spanmetricsConnector(): SpanmetricsConfig {
  const config = readRepoYaml<{ connectors?: Record<string, SpanmetricsConfig> }>('otel-collector.yaml');
  const id = Object.keys(config.connectors ?? {}).find((c) => c.split('/')[0] === SPAN_METRICS_TYPE);
  if (!id) throw new Error(`otel-collector.yaml has no ${SPAN_METRICS_TYPE} connector`);
  return config.connectors![id]!;
}

/**
 * The dimensions span_metrics puts on every series whatever it is configured with: the span's
 * service, name, kind and status, and (feature gate connector.spanmetrics.includeCollectorInstanceID,
 * beta and so on by default) the collector's own service.instance.id as collector.instance.id.
 */
export const SPAN_METRICS_DEFAULT_DIMENSIONS = ['service.name', 'span.name', 'span.kind', 'status.code', 'collector.instance.id'];

/** The series the span_metrics connector derives from spans (calls, and duration unless disabled). */
export function spanmetricsSeries(config: SpanmetricsConfig): Map<string, PrometheusSeries> {
  const prefix = config.namespace ? `${config.namespace}.` : '';
  const labels = [...SPAN_METRICS_DEFAULT_DIMENSIONS, ...(config.dimensions ?? []).map((d) => d.name)].map(prometheusLabelName);
  const metrics: OtlpMetricShape[] = [{ name: `${prefix}calls`, unit: '', kind: 'sum', monotonic: true }];
  if (!config.histogram?.disable) metrics.push({ name: `${prefix}duration`, unit: config.histogram?.unit ?? 'ms', kind: 'histogram' });
  const out = new Map<string, PrometheusSeries>();
  for (const m of metrics) {
    for (const s of prometheusSeriesNames(m)) out.set(s, { source: m, labels: new Set(s.endsWith('_bucket') ? [...labels, 'le'] : labels) });
  }
  return out;
}

export const FIXTURES = new URL('./fixtures/deliveries.json', import.meta.url);

/** What a bridge exported while `feed` sent it deliveries (through its webhook URL). */
export async function emittedBy(feed: (webhook: string, exported: MemoryOtlp) => Promise<void>, options: HarnessOptions = {}): Promise<Emitted> {
  const memory = new MemoryOtlp();
  const bridge = await startTestBridge(memory, options);
  try {
    await feed(bridge.webhook, memory);
  } finally {
    // stop() exports every accepted log, span and metric before it resolves.
    await bridge.stop();
  }
  const series = seriesOf(memory.points);
  if (memory.spans.length > 0) for (const [name, s] of spanmetricsSeries(spanmetricsConnector())) series.set(name, s);
  return { series, logs: [...memory.logs], spans: [...memory.spans] };
}

/** Prometheus series names and their labels, from exported metric points. */
function seriesOf(points: readonly ReceivedPoint[], into = new Map<string, PrometheusSeries>()): Map<string, PrometheusSeries> {
  for (const p of points) {
    const source: OtlpMetricShape = { name: p.name, unit: p.unit, kind: p.kind, monotonic: p.monotonic };
    for (const s of prometheusSeriesNames(source)) {
      const entry = into.get(s) ?? { source, labels: new Set<string>(s.endsWith('_bucket') ? ['le'] : []) };
      for (const key of Object.keys(p.attributes)) entry.labels.add(prometheusLabelName(key));
      into.set(s, entry);
    }
  }
  return into;
}

/**
 * What a bridge in trouble (./trouble.ts: a slow, then refusing, then absent backend, a full
 * journal, a wrong signature, Mist's API and stream failing) exports besides what a healthy one
 * does: the counters of failures, which appear only once something fails. Its metrics reach a real
 * OTLP receiver, which refuses only logs and traces.
 */
export async function emittedInTrouble(): Promise<Map<string, PrometheusSeries>> {
  const trouble = await startTrouble();
  try {
    const bridge = await startTestBridge(trouble.receiver, { env: trouble.env, overrides: { durability: trouble.durability } });
    try {
      await trouble.provoke(bridge.address.url);
      // A collection taken after the last fault showed on /metrics.
      const seen = trouble.receiver.points.length;
      await trouble.receiver.waitFor(() => trouble.receiver.points.slice(seen).some((p) => p.name === 'mist.bridge.dropped'), 10_000);
    } finally {
      trouble.recover();
      await bridge.stop();
    }
    return seriesOf(trouble.receiver.points);
  } finally {
    await trouble.close();
  }
}

/** Both runs' series together, labels joined. */
export function withSeries(emitted: Emitted, more: Map<string, PrometheusSeries>): Emitted {
  const series = new Map([...emitted.series].map(([name, s]) => [name, { source: s.source, labels: new Set(s.labels) }]));
  for (const [name, s] of more) {
    const entry = series.get(name);
    if (entry) for (const l of s.labels) entry.labels.add(l);
    else series.set(name, { source: s.source, labels: new Set(s.labels) });
  }
  return { ...emitted, series };
}

/** Posts every fixture delivery to `webhook` (signed with `secret` when given); each must be accepted. */
export async function postFixtures(webhook: string, secret?: string): Promise<void> {
  const deliveries = JSON.parse(readFileSync(FIXTURES, 'utf8')) as unknown[];
  for (const delivery of deliveries) {
    const res = await postDelivery(webhook, delivery, secret === undefined ? {} : { secret });
    if (res.status !== 200) throw new Error(`fixture delivery answered ${res.status}: ${JSON.stringify(res.json)}`);
  }
}

/** Metrics only the stream's device and client statistics produce: seen, the stream has reached the export. */
export const STREAM_METRICS = [
  'mist.device.cpu.utilization',
  'mist.device.radio.utilization',
  'mist.device.poe.power',
  'mist.device.spu.sessions',
  'mist.client.count',
  'mist.device.network.io',
];

export const STAND_IN_TOKEN = 'demo-stand-in-token';

/**
 * Runs a bridge fed the fixtures (webhook deliveries) and the stream of the demo's stand-in of
 * Mist's APIs (deploy/demo/mist-stand-in.mjs: REST for the org and its sites, WebSocket for the
 * statistics), and returns everything it exported.
 */
export async function emittedByFixtures(): Promise<Emitted> {
  const mist = await startMistStandIn({ token: STAND_IN_TOKEN, intervalMs: 300 });
  try {
    return await emittedBy(
      async (webhook, exported) => {
        await postFixtures(webhook);
        // Two rounds of counters at least, so every observed counter has moved.
        await exported.waitFor(() => STREAM_METRICS.every((name) => exported.points.some((p) => p.name === name)), 20_000);
        await new Promise((r) => setTimeout(r, 800));
      },
      { env: { MIST_API_TOKEN: STAND_IN_TOKEN, MIST_API_URL: mist.url, MIST_WS_URL: mist.wsUrl } },
    );
  } finally {
    await mist.close();
  }
}
