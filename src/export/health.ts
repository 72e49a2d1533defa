import type { Logger } from '../log/logger.js';

/** The export loop's view of one signal (logs, traces or metrics). */
export type ExportSignal = 'logs' | 'traces' | 'metrics';

/** How one signal's export is doing, as /readyz shows it. */
export interface SignalHealth {
  ok: boolean;
  /** Seconds since the first failure of the current run of failures; 0 while exports succeed. */
  failingSeconds: number;
  attempts: number;
  lastError?: string;
}

interface Failing {
  sinceMs: number;
  attempts: number;
  records: number;
  lastError: string;
  lastWarnedMs: number;
}

/** Between two "still failing" warnings for one signal. */
const REPEAT_MS = 60_000;

/**
 * Export failures, said loudly but boundedly: a warning when a signal starts failing, then at most
 * one a minute while it goes on (with how long, how many attempts, the last error), and one line
 * when it recovers. A backend refusing every request must not write a line per attempt, nor may a
 * fault that lasts an hour go quiet after its first line.
 */
export class ExportHealth {
  private readonly failing = new Map<ExportSignal, Failing>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  succeeded(signal: ExportSignal): void {
    const f = this.failing.get(signal);
    if (!f) return;
    this.failing.delete(signal);
    this.log.info('export recovered', { signal, failedForSeconds: this.seconds(f), attempts: f.attempts });
  }

  failed(signal: ExportSignal, records: number, error: Error | undefined): void {
    const now = this.now();
    const message = describe(error);
    const f = this.failing.get(signal);
    if (!f) {
      this.failing.set(signal, { sinceMs: now, attempts: 1, records, lastError: message, lastWarnedMs: now });
      this.log.warn('export failing; the records are kept and retried until the backend takes them', { signal, records, error: message, hint: hint(error) });
      return;
    }
    f.attempts += 1;
    f.records = records;
    f.lastError = message;
    if (now - f.lastWarnedMs < REPEAT_MS) return;
    f.lastWarnedMs = now;
    this.log.warn('export still failing; the records are kept and retried', {
      signal,
      failingForSeconds: this.seconds(f),
      attempts: f.attempts,
      records,
      error: message,
      hint: hint(error),
    });
  }

  /** 0 while the signal exports; otherwise how long it has been failing. */
  failingSeconds(signal: ExportSignal): number {
    const f = this.failing.get(signal);
    return f ? this.seconds(f) : 0;
  }

  snapshot(): Record<ExportSignal, SignalHealth> {
    const one = (signal: ExportSignal): SignalHealth => {
      const f = this.failing.get(signal);
      return f ? { ok: false, failingSeconds: this.seconds(f), attempts: f.attempts, lastError: f.lastError } : { ok: true, failingSeconds: 0, attempts: 0 };
    };
    return { logs: one('logs'), traces: one('traces'), metrics: one('metrics') };
  }

  private seconds(f: Failing): number {
    return Math.max(0, Math.round((this.now() - f.sinceMs) / 100) / 10);
  }
}

/** The HTTP status of an OTLP exporter error (OTLPExporterError carries it as `code`). */
export function httpStatus(error: Error | undefined): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function describe(error: Error | undefined): string {
  if (!error) return 'unknown error';
  const status = httpStatus(error);
  const text = error.message || error.name;
  return status === undefined ? text : `HTTP ${status}${text && !text.includes(String(status)) ? ` ${text}` : ''}`;
}

/** What the operator can do about it, for the faults that are configuration, not payloads. */
function hint(error: Error | undefined): string | undefined {
  const status = httpStatus(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (status === 401 || status === 403) return 'the backend refuses the credentials: check OTEL_EXPORTER_OTLP_HEADERS';
  if (status === 404 || status === 405) return 'nothing takes OTLP at this URL: check OTEL_EXPORTER_OTLP_ENDPOINT (the base URL; /v1/logs etc. are appended)';
  if (code === 'ECONNREFUSED') return 'nothing listens at the OTLP endpoint: is the collector running?';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the OTLP endpoint host does not resolve';
  if (error?.message === 'Request timed out')
    return 'the backend answers slower than the export timeout: the retry waits twice as long (a backend that took the request gets it twice)';
  return undefined;
}
