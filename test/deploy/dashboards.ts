/** The provisioned Grafana dashboards and every query in them, by query language. */
import { readdirSync, readFileSync } from 'node:fs';
import { repoPath } from './repo.js';

interface DatasourceRef {
  type: string;
  uid: string;
}

export interface Target {
  refId: string;
  datasource?: DatasourceRef;
  expr?: string;
  query?: string;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
  datasource?: DatasourceRef;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

export const DASHBOARD_DIR = 'deploy/grafana/dashboards';

export const dashboardFiles = (): string[] => readdirSync(repoPath(DASHBOARD_DIR)).filter((f) => f.endsWith('.json'));

export const readDashboard = (file: string): Dashboard => JSON.parse(readFileSync(repoPath(DASHBOARD_DIR, file), 'utf8')) as Dashboard;

export function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** The data source type a reference resolves to: literal, or through a datasource variable. */
export function datasourceType(d: Dashboard, ds: DatasourceRef | undefined): string | undefined {
  if (!ds) return undefined;
  const variable = /^\$\{?([a-zA-Z0-9_]+)\}?$/.exec(ds.uid)?.[1];
  if (variable === undefined) return ds.type;
  const v = d.templating.list.find((x) => x.name === variable);
  return v?.type === 'datasource' ? (v.query as string) : undefined;
}

export interface Query {
  language: 'promql' | 'logql' | 'traceql';
  /** Panel title and refId, or the variable, for messages. */
  where: string;
  text: string;
}

const LANGUAGE: Record<string, Query['language']> = { prometheus: 'promql', loki: 'logql', tempo: 'traceql' };

/** Every panel target and query variable of the dashboard. */
export function queriesOf(d: Dashboard): Query[] {
  const out: Query[] = [];
  for (const p of allPanels(d.panels)) {
    for (const t of p.targets ?? []) {
      const language = LANGUAGE[datasourceType(d, t.datasource ?? p.datasource) ?? ''];
      if (language) out.push({ language, where: `${p.title} ${t.refId}`, text: (language === 'traceql' ? t.query : t.expr) ?? '' });
    }
  }
  for (const v of d.templating.list.filter((x) => x.type === 'query')) {
    const language = LANGUAGE[datasourceType(d, v.datasource) ?? ''];
    if (language) out.push({ language, where: `variable ${v.name}`, text: typeof v.query === 'string' ? v.query : (v.query?.query ?? '') });
  }
  return out;
}
