/**
 * Every provisioned dashboard is valid JSON whose every query names what the bridge really
 * emits, as the backend stores it: a bridge is fed test/deploy/fixtures, its OTLP output is
 * translated by the Prometheus rules (prometheus-names.ts) and the collector's spanmetrics names are
 * added; Loki label filters must be log attributes it sent, TraceQL names and attributes spans it sent.
 * Queries are read with the grammars Grafana and Prometheus use, so a syntax error fails too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { emittedByFixtures, RESOURCE_LABELS, type Emitted } from './emitted.js';
import { prometheusLabelName } from './prometheus-names.js';
import { logRefs, promRefs, traceRefs } from './queries.js';
import { repoPath } from './repo.js';

interface Target {
  refId: string;
  datasource?: { type: string; uid: string };
  expr?: string;
  query?: string;
  queryType?: string;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
  datasource?: { type: string; uid: string };
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const DIR = 'deploy/grafana/dashboards';
const files = readdirSync(repoPath(DIR)).filter((f) => f.endsWith('.json'));

// Labels Loki's OTLP endpoint indexes by default from the bridge's resource, and the fields it
// stores for every record besides the attributes.
const LOKI_STREAM_LABELS = ['service_name', 'service_namespace', 'service_instance_id', 'deployment_environment'];
const LOKI_RECORD_FIELDS = ['severity_text', 'severity_number', 'trace_id', 'span_id', 'flags', 'observed_timestamp', 'scope_name', 'detected_level'];
// Attributes Tempo knows on every span without the bridge setting them (TraceQL intrinsics aside).
const TRACEQL_INTRINSIC_RESOURCE = ['service.name'];

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** Loki flattens a structured attribute into one metadata field per leaf: a.b {c: 1} → a_b_c. */
function flattenedKeys(attributes: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(attributes).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)
      ? [`${prefix}${k}`, ...flattenedKeys(v as Record<string, unknown>, `${prefix}${k}_`)]
      : [`${prefix}${k}`],
  );
}

let emitted: Emitted;
beforeAll(async () => {
  emitted = await emittedByFixtures();
}, 60_000);

describe('the fixture run', () => {
  it('exports metrics, logs and spans to check the dashboards against', () => {
    expect(emitted.series.size).toBeGreaterThan(0);
    expect(emitted.logs.length).toBeGreaterThan(0);
  });
});

describe.each(files)('dashboard %s', (file) => {
  const text = readFileSync(repoPath(DIR, file), 'utf8');

  it('is valid JSON with a uid, a title and panels', () => {
    const d = JSON.parse(text) as Dashboard;
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.title.length).toBeGreaterThan(0);
    expect(allPanels(d.panels).length).toBeGreaterThan(0);
    const ids = allPanels(d.panels).map((p) => p.id);
    expect(new Set(ids).size, 'panel ids are unique').toBe(ids.length);
  });

  const d = JSON.parse(text) as Dashboard;
  const variables = new Map(d.templating.list.map((v) => [v.name, v]));
  const datasourceType = (ds: { type: string; uid: string } | undefined): string | undefined => {
    if (!ds) return undefined;
    const variable = /^\$\{?([a-zA-Z0-9_]+)\}?$/.exec(ds.uid)?.[1];
    if (variable === undefined) return ds.type;
    const v = variables.get(variable);
    return v?.type === 'datasource' ? (v.query as string) : undefined;
  };

  it('points every query at a data source variable of its type', () => {
    for (const p of allPanels(d.panels)) {
      for (const t of p.targets ?? []) {
        const ds = t.datasource ?? p.datasource;
        expect(datasourceType(ds), `${p.title} ${t.refId}`).toBe(ds?.type);
      }
    }
    for (const v of d.templating.list.filter((x) => x.type === 'query')) expect(datasourceType(v.datasource), v.name).toBe(v.datasource?.type);
  });

  /** Prometheus expressions of the panels and the query variables, with where they come from. */
  const promQueries = [
    ...allPanels(d.panels).flatMap((p) =>
      (p.targets ?? []).filter((t) => datasourceType(t.datasource ?? p.datasource) === 'prometheus').map((t) => ({ where: `${p.title} ${t.refId}`, expr: t.expr! })),
    ),
    ...d.templating.list
      .filter((v) => v.type === 'query' && datasourceType(v.datasource) === 'prometheus')
      .map((v) => ({ where: `variable ${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query!.query })),
  ];

  it('queries only metrics the bridge emits, by the names Prometheus stores, in valid PromQL', () => {
    expect(promQueries.length).toBeGreaterThan(0);
    const known = [...emitted.series.keys()];
    for (const q of promQueries) {
      const refs = promRefs(q.expr);
      expect(refs.errors, `${q.where}: ${q.expr}`).toEqual([]);
      expect(refs.metrics.length + refs.metricPatterns.length, `${q.where}: no metric in ${q.expr}`).toBeGreaterThan(0);
      for (const m of refs.metrics) expect(known, `${q.where}: ${m}`).toContain(m);
      for (const pattern of refs.metricPatterns) {
        const re = new RegExp(`^(?:${pattern})$`);
        expect(known.some((k) => re.test(k)), `${q.where}: no emitted metric matches ${pattern}`).toBe(true);
      }
    }
  });

  it('uses only labels those metrics carry', () => {
    for (const q of promQueries) {
      const refs = promRefs(q.expr);
      const names = refs.metrics.length > 0 ? refs.metrics : [...emitted.series.keys()].filter((k) => refs.metricPatterns.some((p) => new RegExp(`^(?:${p})$`).test(k)));
      const labels = new Set([...RESOURCE_LABELS, ...names.flatMap((m) => [...(emitted.series.get(m)?.labels ?? [])])]);
      for (const l of refs.labels) expect([...labels], `${q.where}: label ${l}`).toContain(l);
    }
  });

  it('filters logs, in valid LogQL, only on labels and attributes the bridge sends to Loki', () => {
    const fields = new Set([
      ...LOKI_RECORD_FIELDS,
      ...emitted.logs.flatMap((l) => [...flattenedKeys(l.attributes), ...flattenedKeys(l.resource)].map(prometheusLabelName)),
    ]);
    for (const p of allPanels(d.panels)) {
      for (const t of p.targets ?? []) {
        if (datasourceType(t.datasource ?? p.datasource) !== 'loki') continue;
        const refs = logRefs(t.expr!);
        expect(refs.errors, `${p.title}: ${t.expr}`).toEqual([]);
        expect(refs.streamLabels.length, `${p.title}: a stream selector`).toBeGreaterThan(0);
        for (const l of refs.streamLabels) expect(LOKI_STREAM_LABELS, `${p.title}: stream label ${l}`).toContain(l);
        for (const l of refs.filterLabels) expect([...fields], `${p.title}: ${l}`).toContain(l);
      }
    }
  });

  it('searches traces, in valid TraceQL, only by span names and attributes the bridge sends', () => {
    for (const p of allPanels(d.panels)) {
      for (const t of p.targets ?? []) {
        if (datasourceType(t.datasource ?? p.datasource) !== 'tempo') continue;
        const refs = traceRefs(t.query!);
        expect(refs.errors, `${p.title}: ${t.query}`).toEqual([]);
        expect(refs.spanNames.length + refs.spanAttributes.length, `${p.title}: searches for something`).toBeGreaterThan(0);
        const spanNames = new Set(emitted.spans.map((s) => s.name));
        const spanAttributes = new Set(emitted.spans.flatMap((s) => Object.keys(s.attributes)));
        const resourceAttributes = new Set([...TRACEQL_INTRINSIC_RESOURCE, ...emitted.spans.flatMap((s) => Object.keys(s.resource))]);
        for (const n of refs.spanNames) expect([...spanNames], `${p.title}: span ${n}`).toContain(n);
        for (const a of refs.spanAttributes) expect([...spanAttributes], `${p.title}: span.${a}`).toContain(a);
        for (const a of refs.resourceAttributes) expect([...resourceAttributes], `${p.title}: resource.${a}`).toContain(a);
      }
    }
  });
});

describe('the dashboards', () => {
  it('are provisioned from this folder and have distinct uids', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    const uids = files.map((f) => (JSON.parse(readFileSync(repoPath(DIR, f), 'utf8')) as Dashboard).uid);
    expect(new Set(uids).size).toBe(uids.length);
  });
});
