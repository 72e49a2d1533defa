/**
 * One WebSocket connection to Mist's stream and the channels it carries: it authenticates the
 * upgrade, subscribes every channel (again on each new connection), pings, declares the
 * connection dead when nothing arrives for the idle timeout, and reconnects with backoff.
 */
import WebSocket from 'ws';
import type { Logger } from '../../log/logger.js';
import { Backoff } from './backoff.js';
import type { StreamSettings } from './config.js';
import type { ConnectionStats, StreamCounters } from './counters.js';
import { decodeData, decodeFrame, type StreamMessage } from './decode.js';
import type { Secret } from './secret.js';
import { Subscriptions } from './subscriptions.js';

export type ConnectionSettings = Pick<
  StreamSettings,
  | 'wsUrl'
  | 'idleTimeoutMs'
  | 'pingIntervalMs'
  | 'connectTimeoutMs'
  | 'reconnectInitialMs'
  | 'reconnectMaxMs'
  | 'authFailureRetryMs'
  | 'rateLimitRetryMs'
  | 'subscribeTimeoutMs'
  | 'subscribeRetryMs'
  | 'subscribeRetryMaxMs'
>;

export interface ConnectionOptions {
  id: number;
  settings: ConnectionSettings;
  token: Secret;
  log: Logger;
  counters: StreamCounters;
  deliver: (message: StreamMessage) => void;
}

/** Repeated per-message problems are logged at most this often per connection. */
const WARN_INTERVAL_MS = 10_000;
/** A Retry-After beyond this is not believed. */
const MAX_RETRY_AFTER_MS = 3_600_000;

interface Refusal {
  status: number;
  retryAfterMs: number | null;
}

export class StreamConnection {
  readonly stats: ConnectionStats;
  private readonly settings: ConnectionSettings;
  private readonly token: Secret;
  private readonly log: Logger;
  private readonly counters: StreamCounters;
  private readonly deliver: (message: StreamMessage) => void;
  private readonly subs: Subscriptions;
  private readonly backoff: Backoff;
  /** The URL as logged: no user info, no query. */
  private readonly where: string;

  private ws: WebSocket | null = null;
  private lastHeardAt = 0;
  private refusal: Refusal | null = null;
  private error: string | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private subsTimer: NodeJS.Timeout | null = null;
  private subsTimerAt = Infinity;
  private stopping: (() => void) | null = null;
  private stopped: Promise<void> | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private killAt = Infinity;
  private warnQuietUntil = 0;
  private warnSuppressed = 0;

  constructor(options: ConnectionOptions) {
    this.settings = options.settings;
    this.token = options.token;
    this.log = options.log;
    this.counters = options.counters;
    this.deliver = options.deliver;
    this.subs = new Subscriptions(options.settings);
    this.backoff = new Backoff(options.settings.reconnectInitialMs, options.settings.reconnectMaxMs);
    const url = new URL(options.settings.wsUrl);
    this.where = `${url.protocol}//${url.host}${url.pathname}`;
    this.stats = options.counters.addConnection(options.id);
  }

  get size(): number {
    return this.subs.size;
  }

  start(): void {
    this.connect();
  }

  add(channel: string): void {
    if (this.subs.stats(channel) !== undefined || this.stopping !== null) return;
    this.subs.add(this.counters.addChannel(channel, this.stats.id));
    if (this.ws?.readyState === WebSocket.OPEN) this.subscribe([channel], Date.now());
  }

  remove(channel: string): void {
    const owed = this.subs.remove(channel);
    this.counters.removeChannel(channel);
    if (owed && this.ws?.readyState === WebSocket.OPEN) this.send({ unsubscribe: channel });
    this.settleIfAllSubscribed();
  }

  /**
   * Unsubscribes every channel and closes the connection; whatever is still open at `deadline`
   * (epoch ms) is cut. Resolves by the deadline; a second call may only bring the deadline closer.
   */
  stop(deadline: number): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.stopping = () => {
        this.clearTimers();
        if (this.killTimer !== null) clearTimeout(this.killTimer);
        this.stats.state = 'stopped';
        resolve();
      };
      if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
      const ws = this.ws;
      if (ws === null) {
        this.stopping();
      } else if (ws.readyState === WebSocket.OPEN) {
        for (const stats of this.subs.all()) {
          if (stats.state === 'pending' || stats.state === 'subscribed') this.send({ unsubscribe: stats.channel });
        }
        ws.close(1000, 'bridge stopping');
      } else {
        ws.terminate();
      }
    });
    if (this.stats.state !== 'stopped' && deadline < this.killAt) {
      this.killAt = deadline;
      if (this.killTimer !== null) clearTimeout(this.killTimer);
      this.killTimer = setTimeout(
        () => {
          // terminate() destroys the socket at once: nothing more arrives from it.
          const ws = this.ws;
          this.ws = null;
          ws?.terminate();
          this.stopping?.();
        },
        Math.max(0, deadline - Date.now()),
      );
    }
    return this.stopped;
  }

  private connect(): void {
    this.stats.state = 'connecting';
    const ws = new WebSocket(this.settings.wsUrl, {
      headers: { Authorization: `Token ${this.token.reveal()}` },
      handshakeTimeout: this.settings.connectTimeoutMs,
    });
    this.ws = ws;
    // Every handler first checks the socket is still the current one: a late event from a
    // socket given up on must not deliver a message twice or tear down its successor.
    ws.on('unexpected-response', (_req, res) => {
      if (this.ws !== ws) return;
      this.refusal = { status: res.statusCode ?? 0, retryAfterMs: retryAfterMs(res.headers['retry-after']) };
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      if (this.ws === ws) this.opened(ws);
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      this.lastHeardAt = Date.now();
      if (isBinary) {
        this.stray('binary frame');
        return;
      }
      this.frame(data.toString(), this.lastHeardAt);
    });
    ws.on('pong', () => {
      if (this.ws === ws) this.lastHeardAt = Date.now();
    });
    ws.on('error', (err) => {
      if (this.ws === ws) this.error = err.message;
    });
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closed(code, reason.toString());
    });
  }

  private opened(ws: WebSocket): void {
    const now = Date.now();
    this.stats.state = 'open';
    this.stats.lastRefusal = null;
    this.lastHeardAt = now;
    this.log.info('stream connected', { connection: this.stats.id, url: this.where, channels: this.subs.size });
    this.subscribe(
      [...this.subs.all()].map((s) => s.channel),
      now,
    );
    this.settleIfAllSubscribed();
    this.pingTimer = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, this.settings.pingIntervalMs);
    this.watchIdle(ws);
  }

  private frame(text: string, now: number): void {
    const frame = decodeFrame(text);
    switch (frame.type) {
      case 'data': {
        const stats = this.subs.stats(frame.channel);
        if (stats === undefined) {
          this.stray('data for a channel not subscribed here', frame.channel);
          return;
        }
        stats.messages += 1;
        stats.lastMessageAt = now;
        const decoded = decodeData(frame.data);
        if (!decoded.ok) {
          stats.parseFailures += 1;
          this.warnRarely('stream message not decodable', { channel: frame.channel, reason: decoded.reason });
          return;
        }
        const message = { channel: frame.channel, kind: stats.kind, siteId: stats.siteId, document: decoded.document, receivedAt: now };
        try {
          this.deliver(message);
        } catch (err) {
          this.warnRarely('stream message handler failed', { channel: frame.channel, error: (err as Error).message });
        }
        return;
      }
      case 'subscribed':
        if (this.subs.acked(frame.channel)) this.settleIfAllSubscribed();
        return;
      case 'unsubscribed':
        return;
      case 'other': {
        if (frame.channel === null) {
          this.log.warn('stream reply names no channel', { connection: this.stats.id, event: frame.event, detail: frame.detail });
          return;
        }
        const retryMs = this.subs.failed(frame.channel, now);
        if (retryMs === null) {
          this.stray(`"${frame.event}" for a channel not subscribed here`, frame.channel);
          return;
        }
        this.log.warn('stream subscription failed', {
          connection: this.stats.id,
          channel: frame.channel,
          event: frame.event,
          detail: frame.detail,
          retryInMs: retryMs,
        });
        this.armSubscriptionTimer(now + retryMs);
        return;
      }
      case 'malformed':
        this.stray(frame.reason);
        return;
    }
  }

  private subscribe(channels: string[], now: number): void {
    if (channels.length === 0) return;
    for (const channel of channels) {
      this.subs.sending(channel, now);
      this.send({ subscribe: channel });
    }
    this.armSubscriptionTimer(now + this.settings.subscribeTimeoutMs);
  }

  private armSubscriptionTimer(at: number): void {
    if (this.ws === null || at >= this.subsTimerAt) return;
    if (this.subsTimer !== null) clearTimeout(this.subsTimer);
    this.subsTimerAt = at;
    this.subsTimer = setTimeout(() => this.subscriptionsDue(), Math.max(0, at - Date.now()));
  }

  private subscriptionsDue(): void {
    this.subsTimer = null;
    this.subsTimerAt = Infinity;
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    const { timedOut, retry } = this.subs.due(now);
    for (const channel of timedOut) {
      this.log.warn('stream subscription failed', {
        connection: this.stats.id,
        channel,
        event: null,
        detail: `no answer within ${this.settings.subscribeTimeoutMs} ms`,
      });
    }
    this.subscribe(retry, now);
    const next = this.subs.nextDueAt();
    if (next !== null) this.armSubscriptionTimer(next);
  }

  /** The backoff starts over only once the server has taken every subscription again. */
  private settleIfAllSubscribed(): void {
    if (this.ws?.readyState === WebSocket.OPEN && this.subs.allSubscribed) this.backoff.reset();
  }

  private watchIdle(ws: WebSocket): void {
    const left = this.lastHeardAt + this.settings.idleTimeoutMs - Date.now();
    if (left > 0) {
      this.idleTimer = setTimeout(() => this.watchIdle(ws), left);
      return;
    }
    this.error = `no message and no pong for ${this.settings.idleTimeoutMs} ms (connection dead or half-open)`;
    ws.terminate();
  }

  private closed(code: number, reason: string): void {
    this.clearTimers();
    this.subs.disconnected();
    const refusal = this.refusal;
    const error = this.error;
    const wasOpen = this.stats.state === 'open';
    this.refusal = null;
    this.error = null;
    if (this.stopping !== null) {
      this.stopping();
      return;
    }
    this.stats.state = 'waiting';
    let waitMs = this.backoff.next();
    const fields = { connection: this.stats.id, url: this.where, attempt: this.backoff.failures };
    if (refusal !== null) {
      this.stats.lastRefusal = refusal.status;
      const status = refusal.status;
      if (status === 401 || status === 403) {
        waitMs = Math.max(waitMs, this.settings.authFailureRetryMs);
        this.log.error(authFailure(status, this.where, waitMs), { ...fields, status, retryInMs: waitMs });
      } else if (status === 429) {
        waitMs = Math.max(waitMs, this.settings.rateLimitRetryMs, refusal.retryAfterMs ?? 0);
        this.log.warn(`Mist rate-limited the stream connection (HTTP 429); retrying in ${seconds(waitMs)}`, {
          ...fields,
          status,
          retryInMs: waitMs,
        });
      } else {
        this.log.warn(`Mist refused the stream connection with HTTP ${status}; retrying in ${seconds(waitMs)}`, {
          ...fields,
          status,
          retryInMs: waitMs,
        });
      }
    } else if (wasOpen) {
      this.log.warn('stream connection lost; reconnecting', { ...fields, code, reason, error, retryInMs: waitMs });
    } else {
      this.log.warn('cannot connect to the stream; retrying', { ...fields, error, retryInMs: waitMs });
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.stats.reconnects += 1;
      for (const stats of this.subs.all()) stats.reconnects += 1;
      this.connect();
    }, waitMs);
  }

  private clearTimers(): void {
    for (const timer of [this.pingTimer, this.idleTimer, this.subsTimer]) if (timer !== null) clearTimeout(timer);
    this.pingTimer = this.idleTimer = this.subsTimer = null;
    this.subsTimerAt = Infinity;
  }

  private send(message: { subscribe: string } | { unsubscribe: string }): void {
    this.ws?.send(JSON.stringify(message));
  }

  private stray(reason: string, channel?: string): void {
    this.stats.strayFrames += 1;
    this.warnRarely('stream frame ignored', { reason, channel });
  }

  private warnRarely(msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if (now < this.warnQuietUntil) {
      this.warnSuppressed += 1;
      return;
    }
    this.log.warn(msg, { connection: this.stats.id, ...fields, alikeSuppressed: this.warnSuppressed });
    this.warnQuietUntil = now + WARN_INTERVAL_MS;
    this.warnSuppressed = 0;
  }
}

function retryAfterMs(header: string | undefined): number | null {
  if (header === undefined) return null;
  const ms = /^\s*\d+\s*$/.test(header) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : null;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function authFailure(status: number, where: string, waitMs: number): string {
  const why =
    status === 401
      ? 'MIST_API_TOKEN is wrong, expired or deleted (Mist deletes API tokens unused for 90 days)'
      : 'the API token is not allowed to use the stream (check its privileges on the org and its sites)';
  return `configuration error: Mist refused the stream connection to ${where} with HTTP ${status}: ${why}. ` + `Retrying in ${seconds(waitMs)}`;
}
