/**
 * What a dashboard query refers to, read with the grammars Grafana and Prometheus themselves use
 * (lezer-promql, lezer-logql, lezer-traceql): syntax errors, and the metric names and label names
 * of a PromQL expression (with Grafana's `$variables` and `label_values()`), the stream labels and
 * label filters of a LogQL query, the span names and attributes of a TraceQL query.
 */
import { parser as logqlParser } from '@grafana/lezer-logql';
import { parser as traceqlParser } from '@grafana/lezer-traceql';
import type { LRParser } from '@lezer/lr';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';

interface ParsedNode {
  name: string;
  text: string;
  parent: string | undefined;
  children: ParsedNode[];
}

/** The syntax tree as plain nodes, and where the grammar found errors. */
function parse(parser: LRParser, query: string): { nodes: ParsedNode[]; errors: string[] } {
  const nodes: ParsedNode[] = [];
  const errors: string[] = [];
  const stack: ParsedNode[] = [];
  parser.parse(query).iterate({
    enter(n) {
      if (n.type.isError) errors.push(`syntax error at ${n.from}: …${query.slice(Math.max(0, n.from - 20), n.from + 20)}…`);
      const node: ParsedNode = { name: n.name, text: query.slice(n.from, n.to), parent: stack.at(-1)?.name, children: [] };
      stack.at(-1)?.children.push(node);
      nodes.push(node);
      stack.push(node);
    },
    leave() {
      stack.pop();
    },
  });
  return { nodes, errors };
}

const unquote = (s: string): string => s.slice(1, -1);

export interface PromRefs {
  errors: string[];
  /** Metric names of vector selectors (`rate(x_total[5m])` → x_total, `{__name__="x"}` → x). */
  metrics: string[];
  /** Regexes given as {__name__=~"…"}. */
  metricPatterns: string[];
  /** Label names in matchers and in by/without/on/ignoring/group_left/group_right lists. */
  labels: string[];
}

/** Grafana's interval variables stand where PromQL wants a duration. */
const GRAFANA_DURATIONS = /\$\{?__(?:rate_interval|interval|range)(?:_ms|_s)?\}?/g;

export function promRefs(query: string): PromRefs {
  // Grafana's label_values(selector, label) and label_values(label) are not PromQL.
  const lv = /^\s*label_values\((.*)\)\s*$/s.exec(query);
  if (lv) {
    const args = lv[1]!;
    const comma = args.lastIndexOf(',');
    if (comma < 0) return { errors: [], metrics: [], metricPatterns: [], labels: [args.trim()] };
    const inner = promRefs(args.slice(0, comma));
    return { ...inner, labels: [...inner.labels, args.slice(comma + 1).trim()] };
  }
  const { nodes, errors } = parse(promqlParser, query.replace(GRAFANA_DURATIONS, '5m'));
  const refs: PromRefs = { errors, metrics: [], metricPatterns: [], labels: [] };
  for (const n of nodes) {
    if (n.name === 'Identifier' && n.parent === 'VectorSelector') refs.metrics.push(n.text);
    if (n.name === 'UnquotedLabelMatcher') {
      const label = n.children.find((c) => c.name === 'LabelName')!.text;
      const op = n.children.find((c) => c.name === 'MatchOp')!.text;
      const value = unquote(n.children.find((c) => c.name === 'StringLiteral')!.text);
      if (label !== '__name__') refs.labels.push(label);
      else if (op === '=') refs.metrics.push(value);
      else if (op === '=~') refs.metricPatterns.push(value);
    }
    if (n.name === 'LabelName' && n.parent === 'GroupingLabels') refs.labels.push(n.text);
  }
  return refs;
}

export interface LogRefs {
  errors: string[];
  /** Labels of the stream selector. */
  streamLabels: string[];
  /** Labels compared in `| label op value` filters (structured metadata or parsed labels). */
  filterLabels: string[];
}

export function logRefs(query: string): LogRefs {
  const { nodes, errors } = parse(logqlParser, query);
  const identifiersUnder = (parent: string) =>
    nodes.filter((n) => n.name === parent).flatMap((n) => n.children.flatMap((m) => m.children.filter((c) => c.name === 'Identifier').map((c) => c.text)));
  return {
    errors,
    streamLabels: nodes
      .filter((n) => n.name === 'Matchers')
      .flatMap((m) => m.children.flatMap((c) => c.children.filter((i) => i.name === 'Identifier').map((i) => i.text))),
    filterLabels: identifiersUnder('LabelFilter'),
  };
}

export interface TraceRefs {
  errors: string[];
  spanNames: string[];
  /** `span.x` (and unscoped `.x`) attribute names. */
  spanAttributes: string[];
  /** `resource.x` attribute names. */
  resourceAttributes: string[];
}

export function traceRefs(query: string): TraceRefs {
  const { nodes, errors } = parse(traceqlParser, query);
  const refs: TraceRefs = { errors, spanNames: [], spanAttributes: [], resourceAttributes: [] };
  for (const n of nodes) {
    if (n.name === 'AttributeField') {
      const id = n.children.find((c) => c.name === 'Identifier')?.text ?? n.text.replace(/^\./, '');
      if (n.children.some((c) => c.name === 'Resource')) refs.resourceAttributes.push(id);
      else refs.spanAttributes.push(id);
    }
    // name = "…": a comparison whose left side is the intrinsic `name`.
    if (n.name === 'FieldExpression' && n.children.length === 3 && n.children[0]!.text === 'name' && n.children[1]!.text === '=') {
      const right = n.children[2]!.text;
      if (right.startsWith('"')) refs.spanNames.push(unquote(right));
    }
  }
  return refs;
}
