/**
 * What a dashboard query refers to: the metric names and label names of a PromQL expression
 * (with Grafana's `$variables` and `label_values()`), the stream labels and label filters of a
 * LogQL query, the span names and attributes of a TraceQL query. Enough of each language to check
 * the names against what the bridge emits; not a validator of the languages.
 */

export interface PromRefs {
  /** Metric names written as identifiers (`rate(x_total[5m])` → x_total). */
  metrics: string[];
  /** Regexes given as {__name__=~"…"}. */
  metricPatterns: string[];
  /** Label names in matchers and in by/without/on/ignoring/group_left/group_right lists. */
  labels: string[];
}

const PROM_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless',
  'atan2', 'inf', 'nan', 'Inf', 'NaN', 'start', 'end',
]);

const blankStrings = (s: string): string => s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');

/** Grafana's label_values(metric_or_selector, label) and label_values(label). */
function grafanaLabelValues(query: string): PromRefs | undefined {
  const m = /^\s*label_values\((.*)\)\s*$/s.exec(query);
  if (!m) return undefined;
  const args = m[1]!;
  const comma = args.lastIndexOf(',');
  if (comma < 0) return { metrics: [], metricPatterns: [], labels: [args.trim()] };
  const inner = promRefs(args.slice(0, comma));
  return { ...inner, labels: [...inner.labels, args.slice(comma + 1).trim()] };
}

export function promRefs(query: string): PromRefs {
  const lv = grafanaLabelValues(query);
  if (lv) return lv;
  const labels: string[] = [];
  const metricPatterns: string[] = [];
  const metrics: string[] = [];
  let expr = query;
  // Matchers first, while their quoted values are still readable (for __name__).
  expr = expr.replace(/\{([^{}]*)\}/g, (_, body: string) => {
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g)) {
      const value = m[3]!.slice(1, -1);
      if (m[1] === '__name__') {
        if (m[2] === '=') metrics.push(value);
        else if (m[2] === '=~') metricPatterns.push(value);
      } else labels.push(m[1]!);
    }
    return ' ';
  });
  expr = blankStrings(expr);
  expr = expr.replace(/\[[^\]]*\]/g, ' ');
  expr = expr.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw: string, list: string) => {
    for (const l of list.split(',').map((x) => x.trim()).filter(Boolean)) labels.push(l);
    return ' ';
  });
  expr = expr.replace(/\boffset\s+-?\S+/g, ' ');
  expr = expr.replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*(?::[a-z]+)?\}?/g, ' ');
  expr = expr.replace(/(?<![a-zA-Z_:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*/g, ' ');
  for (const m of expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = expr.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(after) || PROM_KEYWORDS.has(m[0])) continue;
    metrics.push(m[0]);
  }
  return { metrics, metricPatterns, labels };
}

export interface LogRefs {
  /** Labels of the stream selector. */
  streamLabels: string[];
  /** Labels compared in `| label op value` filters (structured metadata or parsed labels). */
  filterLabels: string[];
}

export function logRefs(query: string): LogRefs {
  const selector = /^\s*\{([^}]*)\}/.exec(query);
  const streamLabels = selector ? [...selector[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]!) : [];
  const rest = blankStrings(query.slice(selector ? selector[0].length : 0));
  const filterLabels = [...rest.matchAll(/\|\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|==|=|>=|<=|>|<)/g)].map((m) => m[1]!);
  return { streamLabels, filterLabels };
}

export interface TraceRefs {
  spanNames: string[];
  /** `span.x` attribute names (without the `span.` scope). */
  spanAttributes: string[];
  /** `resource.x` attribute names. */
  resourceAttributes: string[];
}

export function traceRefs(query: string): TraceRefs {
  const spanNames = [...query.matchAll(/(?<![\w.])name\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
  const spanAttributes = [...query.matchAll(/\bspan\.([a-zA-Z0-9_.]+)/g)].map((m) => m[1]!);
  const resourceAttributes = [...query.matchAll(/\bresource\.([a-zA-Z0-9_.]+)/g)].map((m) => m[1]!);
  return { spanNames, spanAttributes, resourceAttributes };
}
