import type { Meter, Tracer } from '@opentelemetry/api';
import type { MetricOutput, TraceContribution } from '../mapping/types.js';

/** Records mapped metric values on SDK instruments (src/signals/metrics). */
export interface MetricRecorder {
  record(outputs: readonly MetricOutput[]): void;
  /** Hand what is recorded to the SDK's instruments; called before every collection. */
  flush(): void;
}

/** Turns trace contributions into session spans (src/sessions). */
export interface SessionObserver {
  /** `seq`: the journal row of the delivery the contribution came from. */
  observe(contribution: TraceContribution, seq: number): void;
  /**
   * The lowest delivery seq with contributions held but not yet placed into sessions: those
   * deliveries must stay journaled, or a crash inside the settle time would lose their spans.
   */
  heldFrom(): number | undefined;
  /** End what must end by now (age limits), by the observer's own clock; called periodically,
   * and at shutdown with `final` to export everything that can be exported. */
  sweep(final: boolean): void;
}

export interface SignalHookFactories {
  metrics?: (meter: Meter) => MetricRecorder;
  sessions?: (tracer: Tracer) => SessionObserver;
}
