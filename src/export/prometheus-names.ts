/**
 * The names a Prometheus-compatible backend gives OTLP metrics and attributes. `GET /metrics`
 * names the bridge's own metrics by them, so a dashboard works whether Prometheus scrapes the
 * bridge or receives its OTLP, and the dashboard checks hold queries to what the bridge exports.
 *
 * Rules of Prometheus' OTLP receiver (and Mimir's, Grafana Cloud's) with its default translation
 * strategy, UnderscoreEscapingWithSuffixes, implemented in github.com/prometheus/otlptranslator
 * (normalizeName, buildUnitSuffixes, NormalizeLabel) after the OpenTelemetry spec's
 * "OTLP Metric points to Prometheus":
 * - the name is split into tokens at every character outside [a-zA-Z0-9:] (so `.`, `-` and runs of
 *   `_` all become one `_`);
 * - the unit is split at its first `/`; each side is dropped when it is empty or contains `{` or
 *   `}` (annotations like `{event}`), otherwise mapped (`s` → seconds, `By` → bytes, `1` → nothing, …;
 *   unknown units are kept) and the per-side gets `per_` (`/s` → per_second); each is appended
 *   unless the name already has that token;
 * - a monotonic sum gets `_total` (moved to the end if the name already has it); a gauge with
 *   unit `1` gets `_ratio`;
 * - a name starting with a digit gets a leading `_`;
 * - histograms are stored as `<name>_bucket`, `<name>_sum` and `<name>_count`; summaries as `<name>`,
 *   `<name>_sum`, `<name>_count`.
 * Labels: every character outside [a-zA-Z0-9_] becomes `_`; a leading digit gets `key_`, a single
 * leading `_` gets `key`.
 */

export type OtlpMetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

export interface OtlpMetricShape {
  name: string;
  unit: string;
  kind: OtlpMetricKind;
  /** sum only */
  monotonic?: boolean;
}

const UNITS: Record<string, string> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

const PER_UNITS: Record<string, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

const tokens = (s: string): string[] => s.split(/[^a-zA-Z0-9:]+/).filter((t) => t.length > 0);

/** Invalid characters to `_`, runs of `_` collapsed, a leading `_` dropped. */
function cleanUnit(unit: string): string {
  return unit
    .replace(/[^a-zA-Z0-9:]/g, '_')
    .replace(/__+/g, '_')
    .replace(/^_/, '');
}

function unitSuffixes(unit: string): { main: string; per: string } {
  const slash = unit.indexOf('/');
  const mainRaw = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const perRaw = slash < 0 ? '' : unit.slice(slash + 1).trim();
  const annotated = (u: string) => u.includes('{') || u.includes('}');
  const main = mainRaw !== '' && !annotated(mainRaw) ? (UNITS[mainRaw] ?? mainRaw) : '';
  const perName = perRaw !== '' && !annotated(perRaw) ? (PER_UNITS[perRaw] ?? perRaw) : '';
  return { main: cleanUnit(main), per: cleanUnit(perName === '' ? '' : `per_${perName}`) };
}

/** The unit word of a metric name (`By` → bytes, `By/s` → bytes_per_second, `{event}` → none), as the translator's UnitNamer. */
export function prometheusUnitName(unit: string): string {
  const { main, per } = unitSuffixes(unit);
  const joined = main !== '' && per !== '' ? `${main}_${per}` : main !== '' ? main : per;
  return joined.replace(/^_/, '').replace(/_$/, '');
}

/** The metric name Prometheus stores for an OTLP metric (before any _bucket/_sum/_count). */
export function prometheusMetricName(metric: OtlpMetricShape): string {
  let parts = tokens(metric.name);
  let { main, per } = unitSuffixes(metric.unit);
  if (parts.includes(main)) main = '';
  if (per === 'per_') per = '';
  else {
    per = per.replace(/_$/, '');
    if (parts.includes(per)) per = '';
  }
  if (per !== '') main = main.replace(/_$/, '');
  if (main !== '') parts.push(main);
  if (per !== '') parts.push(per);
  if (metric.kind === 'sum' && metric.monotonic === true) parts = [...parts.filter((t) => t !== 'total'), 'total'];
  if (metric.unit === '1' && metric.kind === 'gauge') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
  const name = parts.join('_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** Every series name Prometheus stores for the metric (classic histograms as three series). */
export function prometheusSeriesNames(metric: OtlpMetricShape): string[] {
  const name = prometheusMetricName(metric);
  switch (metric.kind) {
    case 'histogram':
      return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    case 'summary':
      return [name, `${name}_sum`, `${name}_count`];
    default:
      return [name];
  }
}

/** The label name Prometheus stores for an OTLP attribute key. */
export function prometheusLabelName(key: string): string {
  let label = key.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(label)) label = `key_${label}`;
  else if (label.startsWith('_') && !label.startsWith('__')) label = `key${label}`;
  return label;
}
