import type { ExportResult } from '@opentelemetry/core';

/** What every OTLP exporter of the SDK offers: one request per call, its result by callback. */
export interface OneShotExporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The most a request may be given, however slow the backend has been. */
const MAX_TIMEOUT_MS = 300_000;
/** Exporters kept for different timeouts (each holds an HTTP agent); a power of two apart, so few. */
const MAX_VARIANTS = 6;

/** The error the SDK's HTTP transport reports when a request got no answer within its timeout. */
export function timedOut(error: Error | undefined): boolean {
  return error?.message === 'Request timed out';
}

/**
 * An exporter whose request timeout follows the backend. The configured timeout is where it
 * starts; a request that times out is sent again with twice the time (the backend may have taken
 * it: that is at least once, not loss), and an answer that took d gives the next requests 2d. A
 * backend that always answers in 12 s then takes everything after one timed-out request, where a
 * fixed 10 s timeout would send the same batch again for ever, each copy arriving once more.
 */
export class PatientExporter<T> implements OneShotExporter<T> {
  private timeoutMs: number;
  private readonly variants = new Map<number, OneShotExporter<T>>();

  constructor(
    private readonly baseTimeoutMs: number,
    private readonly build: (timeoutMs: number) => OneShotExporter<T>,
  ) {
    this.timeoutMs = baseTimeoutMs;
  }

  /** The timeout the next request is given. */
  get currentTimeoutMs(): number {
    return this.timeoutMs;
  }

  export(items: T, resultCallback: (result: ExportResult) => void): void {
    const timeoutMs = this.timeoutMs;
    const started = performance.now();
    this.variant(timeoutMs).export(items, (result) => {
      if (timedOut(result.error)) this.timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(this.timeoutMs, timeoutMs * 2));
      else if (result.error === undefined)
        this.timeoutMs = Math.min(MAX_TIMEOUT_MS, Math.max(this.baseTimeoutMs, Math.ceil((performance.now() - started) * 2)));
      resultCallback(result);
    });
  }

  /** The exporter of the configured timeout (what the rest of its settings are read from). */
  get first(): OneShotExporter<T> {
    return this.variant(this.baseTimeoutMs);
  }

  async forceFlush(): Promise<void> {
    await Promise.allSettled([...this.variants.values()].map((e) => e.forceFlush?.()));
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([...this.variants.values()].map((e) => e.shutdown()));
  }

  private variant(timeoutMs: number): OneShotExporter<T> {
    // Rounded up to the base times a power of two, so timeouts that follow a varying backend
    // share a few exporters instead of making one each.
    let rounded = this.baseTimeoutMs;
    while (rounded < timeoutMs) rounded *= 2;
    let exporter = this.variants.get(rounded);
    if (exporter === undefined) {
      if (this.variants.size >= MAX_VARIANTS) {
        const [oldest, spare] = this.variants.entries().next().value!;
        this.variants.delete(oldest);
        void spare.shutdown();
      }
      exporter = this.build(rounded);
      this.variants.set(rounded, exporter);
    }
    return exporter;
  }
}
