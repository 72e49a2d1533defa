import type { Meter } from '@opentelemetry/api';
import type { CallBudget } from './budget.js';
import type { ApiAnswer } from './http.js';

/**
 * The Mist API client's own figures on /metrics (and over OTLP with the rest of the bridge's
 * self-telemetry): every call made, by outcome, and the hour's call budget, so that a token
 * running out of calls, or Mist refusing it, is seen before the data it feeds goes stale.
 * Returns what the client calls with each answer.
 */
export function observeMistApi(meter: Meter, budget: Pick<CallBudget, 'used' | 'allowance'>): (answer: ApiAnswer) => void {
  const calls = meter.createCounter('mist.bridge.mist_api.calls', {
    description: "Calls made to Mist's REST API (each attempt of a retried call counts), by method and status, or error.type when none came",
    unit: '{call}',
  });
  meter
    .createObservableGauge('mist.bridge.mist_api.budget.used', {
      description: "Calls made to Mist's API in the current clock hour (Mist counts per token from the top of the hour)",
      unit: '{call}',
    })
    .addCallback((r) => r.observe(budget.used()));
  meter
    .createObservableGauge('mist.bridge.mist_api.budget.allowance', {
      description: "Calls per hour this process may make: Mist's limit times mist.budgetShare",
      unit: '{call}',
    })
    .addCallback((r) => r.observe(budget.allowance));
  return (answer) =>
    calls.add(
      1,
      answer.status === undefined
        ? { 'http.request.method': answer.method, 'error.type': answer.error ?? 'unreachable' }
        : { 'http.request.method': answer.method, 'http.response.status_code': answer.status },
    );
}
