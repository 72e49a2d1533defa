import { describe, expect, it } from 'vitest';
import { logRefs, promRefs, traceRefs } from './queries.js';

describe('promRefs', () => {
  it('finds metric and label names through functions, aggregations, ranges and Grafana variables', () => {
    const refs = promRefs(
      'histogram_quantile(0.95, sum by (le, mist_site_id) (rate(mist_session_duration_seconds_bucket{span_name="client-session", mist_site_id=~"$site"}[$__rate_interval])))',
    );
    expect(refs.errors).toEqual([]);
    expect(refs.metrics).toEqual(['mist_session_duration_seconds_bucket']);
    expect(refs.labels.sort()).toEqual(['le', 'mist_site_id', 'mist_site_id', 'span_name']);
  });

  it('finds every metric of a binary expression and ignores numbers, durations, offsets and keywords', () => {
    const refs = promRefs(
      'sum(rate(a_total{status_code="STATUS_CODE_ERROR"}[5m] offset 1h)) / on (instance) group_left (job) sum without (instance) (rate(b_total[$__range])) * 60 > bool 1e3 or vector(0)',
    );
    expect(refs.errors).toEqual([]);
    expect(refs.metrics).toEqual(['a_total', 'b_total']);
    expect(refs.labels.sort()).toEqual(['instance', 'instance', 'job', 'status_code']);
  });

  it('reads __name__ matchers and Grafana label_values()', () => {
    expect(promRefs('count({__name__="x_ratio", job="j"})').metrics).toEqual(['x_ratio']);
    expect(promRefs('{__name__=~"mist_.+"}').metricPatterns).toEqual(['mist_.+']);
    expect(promRefs('label_values(mist_device_up, mist_site_id)')).toEqual({
      errors: [],
      metrics: ['mist_device_up'],
      metricPatterns: [],
      labels: ['mist_site_id'],
    });
    expect(promRefs('label_values(mist_site_id)').labels).toEqual(['mist_site_id']);
  });

  it('does not take a label value for a metric', () => {
    expect(promRefs('x{mist_topic="alarms"} and on (mist_site_id) y').metrics).toEqual(['x', 'y']);
  });

  it('reports syntax errors', () => {
    expect(promRefs('rate(x[5m]').errors).not.toEqual([]);
    expect(promRefs('sum by (le (x)').errors).not.toEqual([]);
    expect(promRefs('x{a="b"').errors).not.toEqual([]);
  });
});

describe('logRefs', () => {
  it('separates stream labels from label filters', () => {
    expect(logRefs('{service_name="mist-ai"} | mist_topic="audits" | mist_site_id=~"$site" |= "WLAN"')).toEqual({
      errors: [],
      streamLabels: ['service_name'],
      filterLabels: ['mist_topic', 'mist_site_id'],
    });
  });

  it('reports syntax errors', () => {
    expect(logRefs('{service_name="mist-ai" | mist_topic="audits"').errors).not.toEqual([]);
  });
});

describe('traceRefs', () => {
  it('finds span names and scoped attributes', () => {
    expect(traceRefs('{name="client-session" && status=error && span.mist.site_id=~"${site:regex}" && resource.service.name="mist-ai"}')).toEqual({
      errors: [],
      spanNames: ['client-session'],
      spanAttributes: ['mist.site_id'],
      resourceAttributes: ['service.name'],
    });
  });

  it('reports syntax errors', () => {
    expect(traceRefs('{name="client-session" &&}').errors).not.toEqual([]);
  });
});
