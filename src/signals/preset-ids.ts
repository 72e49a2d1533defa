import { tracing } from '@opentelemetry/sdk-node';

/**
 * An IdGenerator whose next ids can be set by the caller right before a synchronous
 * `tracer.startSpan()`: how the session tracer (src/sessions) gives spans ids derived from Mist
 * fields while still going through the SDK (sampler, limits, processors). Without preset ids it
 * falls back to random ones, as the SDK's default generator would.
 */
export class PresetIdGenerator implements tracing.IdGenerator {
  private readonly random = new tracing.RandomIdGenerator();
  private traceId: string | undefined;
  private spanId: string | undefined;

  /** Run `start` with these ids as the next ones handed out; cleared afterwards either way. */
  with<T>(traceId: string, spanId: string, start: () => T): T {
    this.traceId = traceId;
    this.spanId = spanId;
    try {
      return start();
    } finally {
      this.traceId = undefined;
      this.spanId = undefined;
    }
  }

  generateTraceId(): string {
    const id = this.traceId ?? this.random.generateTraceId();
    this.traceId = undefined;
    return id;
  }

  generateSpanId(): string {
    const id = this.spanId ?? this.random.generateSpanId();
    this.spanId = undefined;
    return id;
  }
}
