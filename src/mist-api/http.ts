import pRetry, { AbortError } from 'p-retry';
import type { CallBudget } from './budget.js';
import { type Clock, nextHourStart, systemClock } from './clock.js';
import { describeErrorBody, MistApiError, MistConfigError, MistUnreachableError, redact } from './errors.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /**
   * Whether sending the request twice does no harm. Defaults to true for GET, PUT and DELETE.
   * A request that is not idempotent (creating a webhook) is retried only when Mist surely never
   * saw it: a 429, or a connection that was never made.
   */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface MistResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** How one attempt of a call ended: Mist's status, or no answer at all. */
export interface ApiAnswer {
  method: string;
  status?: number;
  error?: 'timeout' | 'unreachable';
}

/** Something the client waits out before trying again; for the CLI to say, for the bridge to log. */
export interface RetryNotice {
  method: string;
  path: string;
  attempt: number;
  reason: string;
  /** Known for rate-limit waits (the client chooses them); backoff delays are chosen by p-retry. */
  delayMs?: number;
}

export interface MistHttpOptions {
  token: string;
  /** Scheme and host (see resolveBaseUrl); paths are sent under /api/v1. */
  baseUrl: string;
  budget: CallBudget;
  clock?: Clock;
  /** Per attempt, including reading the body. */
  timeoutMs?: number;
  /** Retries of a 5xx or a network failure (a 429 is waited out separately). */
  retries?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** First wait after a 429; it doubles up to the top of the next hour, when Mist resets the count. */
  rateLimitBaseMs?: number;
  /** Longest total wait for 429s before giving up: by default past one reset of Mist's count. */
  maxRateLimitWaitMs?: number;
  onRetry?: (notice: RetryNotice) => void;
  /** Told of every attempt's outcome, retried ones included: each spends one of Mist's calls. */
  onAnswer?: (answer: ApiAnswer) => void;
  userAgent?: string;
}

/** Connection failures that happen before the request is sent: safe to retry even a POST. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/**
 * HTTP to Mist's REST API: token auth, per-attempt timeouts, the shared call budget, retries with
 * jittered backoff for 5xx and network failures (p-retry) and waiting out 429s toward the top of
 * the hour. Errors carry Mist's own `detail` and never the token.
 */
export class MistHttp {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly budget: CallBudget;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly rateLimitBaseMs: number;
  private readonly maxRateLimitWaitMs: number | undefined;
  private readonly onRetry: ((notice: RetryNotice) => void) | undefined;
  private readonly onAnswer: ((answer: ApiAnswer) => void) | undefined;
  private readonly userAgent: string;

  constructor(options: MistHttpOptions) {
    if (!TOKEN_CHARS.test(options.token)) {
      throw new MistConfigError('MIST_API_TOKEN holds characters an HTTP header cannot carry (a space or a line break?)');
    }
    this.token = options.token;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.budget = options.budget;
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 4;
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 8_000;
    this.rateLimitBaseMs = options.rateLimitBaseMs ?? 1_000;
    this.maxRateLimitWaitMs = options.maxRateLimitWaitMs;
    this.onRetry = options.onRetry;
    this.onAnswer = options.onAnswer;
    this.userAgent = options.userAgent ?? 'mist-otel-bridge';
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<MistResponse<T>> {
    const idempotent = options.idempotent ?? method !== 'POST';
    const url = this.url(path, options.query);
    const shownPath = `/api/v1${path}`;
    const started = this.clock.now();
    // By default a 429 is waited out until just past the next reset of Mist's count.
    const rateLimitDeadline = started + (this.maxRateLimitWaitMs ?? nextHourStart(started) - started + 60_000);
    let rateLimitWaits = 0;

    return pRetry(
      async () => {
        try {
          return await this.attempt<T>(method, url, shownPath, options);
        } catch (err) {
          if (retryable(err, idempotent)) throw err;
          throw new AbortError(err as Error);
        }
      },
      {
        // p-retry stops when no retry is left even for a failure that spends none, so the count
        // of failures retried is kept by shouldRetry, and a 429 is waited out with retries 0 too.
        retries: Math.max(1, this.retries),
        shouldRetry: ({ error, retriesConsumed }) => is429(error) || retriesConsumed < this.retries,
        minTimeout: this.retryMinMs,
        maxTimeout: this.retryMaxMs,
        factor: 2,
        randomize: true,
        ...(options.signal ? { signal: options.signal } : {}),
        // A 429 is waited out below and costs none of the retries meant for failures.
        shouldConsumeRetry: ({ error }) => !is429(error),
        onFailedAttempt: async ({ error, attemptNumber, retriesConsumed }) => {
          if (is429(error)) {
            const now = this.clock.now();
            const untilReset = nextHourStart(now) - now + Math.random() * 5_000;
            const delayMs = Math.min(this.rateLimitBaseMs * 2 ** rateLimitWaits * (0.5 + Math.random() / 2), untilReset);
            if (now + delayMs > rateLimitDeadline) throw error;
            rateLimitWaits++;
            this.onRetry?.({ method, path: shownPath, attempt: attemptNumber, reason: error.message, delayMs: Math.round(delayMs) });
            await this.clock.sleep(delayMs, options.signal);
            return;
          }
          if (retriesConsumed < this.retries) this.onRetry?.({ method, path: shownPath, attempt: attemptNumber, reason: error.message });
        },
      },
    );
  }

  private url(path: string, query: Query | undefined): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return `${this.baseUrl}/api/v1${path}${qs ? `?${qs}` : ''}`;
  }

  private async attempt<T>(method: string, url: string, shownPath: string, options: RequestOptions): Promise<MistResponse<T>> {
    await this.budget.acquire(options.signal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { authorization: `Token ${this.token}`, accept: 'application/json', 'user-agent': this.userAgent };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      // A redirect would carry the token to wherever it points: it is reported, not followed.
      res = await fetch(url, {
        method,
        headers,
        redirect: 'manual',
        signal,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      text = await res.text();
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      this.onAnswer?.({ method, error: timeout.aborted ? 'timeout' : 'unreachable' });
      throw this.unreachable(method, shownPath, err, timeout.aborted);
    }
    this.onAnswer?.({ method, status: res.status });
    if (res.status >= 300 && res.status < 400) {
      throw new MistApiError(res.status, method, shownPath, `redirected to ${res.headers.get('location') ?? '(no location)'}; check MIST_API_URL`);
    }
    if (!res.ok) throw new MistApiError(res.status, method, shownPath, redact(describeErrorBody(text), this.token));
    let body: unknown = null;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new MistApiError(res.status, method, shownPath, `the answer is not JSON: ${redact(text.slice(0, 200), this.token)}`);
      }
    }
    return { status: res.status, headers: res.headers, body: body as T };
  }

  private unreachable(method: string, path: string, err: unknown, timedOut: boolean): MistUnreachableError {
    if (timedOut) return new MistUnreachableError(method, path, `no answer within ${this.timeoutMs} ms`, true);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code;
    const reason = redact(
      [cause?.message ?? (err as Error).message, code && !cause?.message?.includes(code) ? `(${code})` : ''].filter(Boolean).join(' '),
      this.token,
    );
    return new MistUnreachableError(method, path, `${reason} (${new URL(this.baseUrl).host})`, !(code !== undefined && NOT_SENT.has(code)));
  }
}

function is429(err: unknown): err is MistApiError {
  return err instanceof MistApiError && err.status === 429;
}

function retryable(err: unknown, idempotent: boolean): boolean {
  if (err instanceof MistApiError) return err.status === 429 || (err.status >= 500 && idempotent);
  if (err instanceof MistUnreachableError) return idempotent || !err.mayHaveArrived;
  return false;
}
