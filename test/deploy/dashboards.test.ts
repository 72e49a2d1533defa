/**
 * Every provisioned dashboard is valid JSON whose every query names what the bridge really
 * emits, as the backend stores it: a bridge is fed test/deploy/fixtures (webhook deliveries) and
 * the stream of the demo's stand-in of Mist's APIs (deploy/demo/mist-stand-in.mjs), and another
 * is put in trouble (./trouble.ts) so that the counters of failures exist; their OTLP output is
 * translated by the Prometheus rules (prometheus-names.ts) and the collector's spanmetrics names are
 * added; Loki label filters must be log attributes it sent, TraceQL names and attributes spans it sent.
 * Queries are read with the grammars Grafana and Prometheus use, so a syntax error fails too.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { allPanels, dashboardFiles, datasourceType, type Panel, queriesOf, readDashboard } from './dashboards.js';
import { type Emitted, emittedByFixtures, emittedInTrouble, type PrometheusSeries, RESOURCE_LABELS, STREAM_METRICS, withSeries } from './emitted.js';
import { prometheusLabelName } from './prometheus-names.js';
import { logRefs, promRefs, traceRefs } from './queries.js';
import { FAILURE_COUNTERS } from './trouble.js';

const files = dashboardFiles();

// Labels Loki's OTLP endpoint indexes by default from the bridge's resource, and the fields it
// stores for every record besides the attributes.
const LOKI_STREAM_LABELS = ['service_name', 'service_namespace', 'service_instance_id', 'deployment_environment'];
const LOKI_RECORD_FIELDS = ['severity_text', 'severity_number', 'trace_id', 'span_id', 'flags', 'observed_timestamp', 'scope_name', 'detected_level'];
// Attributes Tempo knows on every span without the bridge setting them (TraceQL intrinsics aside).
const TRACEQL_INTRINSIC_RESOURCE = ['service.name'];

/** Loki flattens a structured attribute into one metadata field per leaf: a.b {c: 1} → a_b_c. */
function flattenedKeys(attributes: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(attributes).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)
      ? [`${prefix}${k}`, ...flattenedKeys(v as Record<string, unknown>, `${prefix}${k}_`)]
      : [`${prefix}${k}`],
  );
}

let healthy: Emitted;
let inTrouble: Map<string, PrometheusSeries>;
let emitted: Emitted;
beforeAll(async () => {
  healthy = await emittedByFixtures();
  inTrouble = await emittedInTrouble();
  emitted = withSeries(healthy, inTrouble);
}, 120_000);

describe('the fixture run', () => {
  it('exports metrics, logs and spans to check the dashboards against', () => {
    expect(emitted.series.size).toBeGreaterThan(0);
    expect(emitted.logs.length).toBeGreaterThan(0);
    expect(emitted.spans.length).toBeGreaterThan(0);
  });

  it('has none of the counters of failures, which the bridge in trouble exports, all of them', () => {
    for (const name of FAILURE_COUNTERS) {
      expect(healthy.series.has(name), name).toBe(false);
      expect(inTrouble.has(name), name).toBe(true);
    }
  });

  it("includes the stream's device and client statistics, and the site SLEs", () => {
    const sources = new Set([...emitted.series.values()].map((s) => s.source.name));
    for (const name of [...STREAM_METRICS, 'mist.site.sle.ap_availability']) expect([...sources], name).toContain(name);
  });
});

describe.each(files)('dashboard %s', (file) => {
  const d = readDashboard(file);
  const queries = queriesOf(d);

  it('is valid JSON with a uid, a title and panels with unique ids', () => {
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.title.length).toBeGreaterThan(0);
    const ids = allPanels(d.panels).map((p) => p.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
  });

  it("lays its panels out on Grafana's 24-column grid without overlap", () => {
    const cells = new Map<string, string>();
    for (const p of d.panels as (Panel & { gridPos: { x: number; y: number; w: number; h: number } })[]) {
      const { x, y, w, h } = p.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `${p.title}: ${JSON.stringify(p.gridPos)}`).toBe(true);
      for (let col = x; col < x + w; col++) {
        for (let row = y; row < y + h; row++) {
          const at = `${col},${row}`;
          expect(cells.get(at), `${p.title} overlaps ${cells.get(at)}`).toBeUndefined();
          cells.set(at, p.title);
        }
      }
    }
  });

  it('points every query at a data source variable of its type', () => {
    for (const p of allPanels(d.panels)) {
      for (const t of p.targets ?? []) {
        const ds = t.datasource ?? p.datasource;
        expect(datasourceType(d, ds), `${p.title} ${t.refId}`).toBe(ds?.type);
      }
    }
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(datasourceType(d, v.datasource), v.name).toBe(v.datasource?.type);
  });

  it('queries only metrics the bridge emits, by the names Prometheus stores, in valid PromQL', () => {
    const prom = queries.filter((q) => q.language === 'promql');
    expect(prom.length).toBeGreaterThan(0);
    const known = [...emitted.series.keys()];
    for (const q of prom) {
      const refs = promRefs(q.text);
      expect(refs.errors, `${q.where}: ${q.text}`).toEqual([]);
      expect(refs.metrics.length + refs.metricPatterns.length, `${q.where}: no metric in ${q.text}`).toBeGreaterThan(0);
      for (const m of refs.metrics) expect(known, `${q.where}: ${m}`).toContain(m);
      for (const pattern of refs.metricPatterns) {
        const re = new RegExp(`^(?:${pattern})$`);
        expect(
          known.some((k) => re.test(k)),
          `${q.where}: no emitted metric matches ${pattern}`,
        ).toBe(true);
      }
    }
  });

  it('uses only labels those metrics carry', () => {
    for (const q of queries.filter((x) => x.language === 'promql')) {
      const refs = promRefs(q.text);
      const names =
        refs.metrics.length > 0 ? refs.metrics : [...emitted.series.keys()].filter((k) => refs.metricPatterns.some((p) => new RegExp(`^(?:${p})$`).test(k)));
      const labels = new Set([...RESOURCE_LABELS, ...names.flatMap((m) => [...(emitted.series.get(m)?.labels ?? [])])]);
      for (const l of refs.labels) expect([...labels], `${q.where}: label ${l}`).toContain(l);
    }
  });

  it('filters logs, in valid LogQL, only on labels and attributes the bridge sends to Loki', () => {
    const fields = new Set([
      ...LOKI_RECORD_FIELDS,
      ...emitted.logs.flatMap((l) => [...flattenedKeys(l.attributes), ...flattenedKeys(l.resource)].map(prometheusLabelName)),
    ]);
    for (const q of queries.filter((x) => x.language === 'logql')) {
      const refs = logRefs(q.text);
      expect(refs.errors, `${q.where}: ${q.text}`).toEqual([]);
      expect(refs.streamLabels.length, `${q.where}: a stream selector`).toBeGreaterThan(0);
      for (const l of refs.streamLabels) expect(LOKI_STREAM_LABELS, `${q.where}: stream label ${l}`).toContain(l);
      for (const l of refs.filterLabels) expect([...fields], `${q.where}: ${l}`).toContain(l);
    }
  });

  it('searches traces, in valid TraceQL, only by span names and attributes the bridge sends', () => {
    const spanNames = new Set(emitted.spans.map((s) => s.name));
    const spanAttributes = new Set(emitted.spans.flatMap((s) => Object.keys(s.attributes)));
    const resourceAttributes = new Set([...TRACEQL_INTRINSIC_RESOURCE, ...emitted.spans.flatMap((s) => Object.keys(s.resource))]);
    for (const q of queries.filter((x) => x.language === 'traceql')) {
      const refs = traceRefs(q.text);
      expect(refs.errors, `${q.where}: ${q.text}`).toEqual([]);
      expect(refs.spanNames.length + refs.spanAttributes.length, `${q.where}: searches for something`).toBeGreaterThan(0);
      for (const n of refs.spanNames) expect([...spanNames], `${q.where}: span ${n}`).toContain(n);
      for (const a of refs.spanAttributes) expect([...spanAttributes], `${q.where}: span.${a}`).toContain(a);
      for (const a of refs.resourceAttributes) expect([...resourceAttributes], `${q.where}: resource.${a}`).toContain(a);
    }
  });
});

describe('the dashboards', () => {
  it("show what is failing now the same way in the overview's Bridge row as in the Mist bridge dashboard", () => {
    const now = (d: ReturnType<typeof readDashboard>) =>
      allPanels(d.panels)
        .filter((p) => p.type === 'stat' && p.targets?.some((t) => t.expr?.includes('mist_bridge_')))
        .map(({ id: _id, gridPos: _at, ...rest }: Panel & { gridPos?: unknown }) => rest);
    const bridge = now(readDashboard('mist-bridge.json'));
    expect(bridge.length).toBeGreaterThan(0);
    expect(now(readDashboard('mist-overview.json'))).toEqual(bridge);
  });

  it('are provisioned from one folder and have distinct uids', () => {
    expect(files.sort()).toEqual(['mist-bridge.json', 'mist-device-health.json', 'mist-overview.json', 'mist-sessions.json']);
    const uids = files.map((f) => readDashboard(f).uid);
    expect(new Set(uids).size).toBe(uids.length);
  });
});
