import type { Meter } from '@opentelemetry/api';
import type { SleFigures } from './source.js';

/**
 * The SLE poller's own figures: its polls by outcome, and how far each track's exported buckets
 * lag the clock. In steady state a track is behind by the settle time plus up to one interval;
 * a lag that keeps growing means Mist, the budget or the metric export is holding it up.
 */
export function observeSle(meter: Meter, source: { figures(): SleFigures }): void {
  meter
    .createObservableCounter('mist.bridge.sle.polls', {
      description: 'SLE polls by outcome (ok, failed, skipped while the metric export fails)',
      unit: '{poll}',
    })
    .addCallback((r) => {
      for (const [outcome, n] of Object.entries(source.figures().polls)) r.observe(n, { outcome });
    });
  meter
    .createObservableGauge('mist.bridge.sle.behind', {
      description: 'Seconds from the end of the last SLE bucket through which all were exported to now, per track',
      unit: 's',
    })
    .addCallback((r) => {
      for (const { track, seconds } of source.figures().behind) r.observe(seconds, { track });
    });
}
