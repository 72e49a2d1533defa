/** Prometheus text → "name{labels}" → value, labels without the scope ones, sorted. */
export function metricSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '')
      .split(/,(?=[a-z_]+=")/)
      .filter((l) => l !== '' && !l.startsWith('otel_scope_'))
      .sort()
      .join(',');
    out.set(`${m[1]}{${labels}}`, Number(m[3]));
  }
  return out;
}

/** What a bridge at `baseUrl` serves at GET /metrics now, as `metricSamples`. */
export async function servedSamples(baseUrl: string): Promise<Map<string, number>> {
  return metricSamples(await (await fetch(baseUrl + '/metrics')).text());
}
