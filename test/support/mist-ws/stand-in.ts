/**
 * A local stand-in of Mist's WebSocket API (wss://api-ws.<cloud>/api-ws/v1/stream), speaking its
 * protocol over real sockets on 127.0.0.1:
 *
 * - the upgrade must carry `Authorization: Token <token>` (else 401); refuseUpgrades() answers
 *   every upgrade with a chosen status instead (401, 403, 429 with Retry-After…);
 * - `{"subscribe": channel}` / `{"unsubscribe": channel}`, one per message, answered
 *   `{"event":"channel_subscribed","channel":…}` / `channel_unsubscribed`; refuseSubscriptions()
 *   answers chosen channels with `subscribe_failed`, another event, or nothing;
 * - publish() sends `{"event":"data","channel":…,"data":"<document as a JSON string>"}` to every
 *   connection subscribed to the channel (`inline: true` sends the document as an object, as
 *   Mist's OpenAPI text shows it); `/test` sends "1" every testIntervalMs;
 * - pings are answered with pongs; dropConnections() cuts every socket mid-stream (no close
 *   frame), goHalfOpen() makes the current connections go silent without closing (no pong, no
 *   data, no answer);
 * - introspection: connections (each with its subscriptions and every message it sent),
 *   subscriptions(), upgrades (each attempt's time and status), messagesPushed.
 *
 * Used by the stream's tests, and meant for its metric tests, the benchmark and a demo container.
 */
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export const STREAM_PATH = '/api-ws/v1/stream';

export interface MistWsStandInOptions {
  /** The API token the upgrade must present. */
  token: string;
  /** How often the /test channel sends "1" (ms, default 1000). */
  testIntervalMs?: number;
}

/** How a refused subscription is answered. */
export type SubscriptionRefusal =
  /** `{"event":"subscribe_failed","channel":…,"detail":"denied"}`, the shape Mist's Python SDK expects. */
  | 'subscribe_failed'
  /** `{"event":"error","channel":…,"detail":…}`: some other event naming the channel. */
  | 'error'
  /** No answer at all. */
  | 'silence';

export interface StandInConnection {
  readonly id: number;
  readonly subscriptions: ReadonlySet<string>;
  /** Every JSON message the client sent on it, in order. */
  readonly received: readonly unknown[];
  readonly halfOpen: boolean;
}

export interface UpgradeAttempt {
  /** Epoch ms. */
  at: number;
  /** 101 when the upgrade was accepted. */
  status: number;
  /** The request's Authorization header, to check how the client authenticates. */
  authorization: string | undefined;
}

interface Connection extends StandInConnection {
  readonly ws: WebSocket;
  readonly subscriptions: Set<string>;
  readonly received: unknown[];
  halfOpen: boolean;
  testTimer: NodeJS.Timeout | null;
}

interface RefusalRule {
  matches: (channel: string) => boolean;
  reply: SubscriptionRefusal;
  remaining: number;
}

export class MistWsStandIn {
  readonly url: string;
  readonly upgrades: UpgradeAttempt[] = [];
  /** Data frames sent, counted once per connection they went to. */
  messagesPushed = 0;

  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly token: string;
  private readonly testIntervalMs: number;
  private readonly live = new Set<Connection>();
  private refusal: { status: number; retryAfterSeconds: number | null } | null = null;
  private refusals: RefusalRule[] = [];
  private nextId = 1;

  private constructor(server: Server, options: MistWsStandInOptions) {
    this.server = server;
    this.token = options.token;
    this.testIntervalMs = options.testIntervalMs ?? 1000;
    // Pongs are sent by hand so that a half-open connection can stop answering.
    this.wss = new WebSocketServer({ noServer: true, autoPong: false });
    const { port } = server.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}${STREAM_PATH}`;
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  static async start(options: MistWsStandInOptions): Promise<MistWsStandIn> {
    const server = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'application/json' }).end('{"detail":"WebSocket upgrade required"}');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return new MistWsStandIn(server, options);
  }

  /** Live connections, oldest first. */
  get connections(): StandInConnection[] {
    return [...this.live];
  }

  /** Channels subscribed on live connections, sorted; a channel held by two connections appears twice. */
  subscriptions(): string[] {
    return [...this.live].flatMap((c) => [...c.subscriptions]).sort();
  }

  /** Answer every upgrade with `status` (401, 403, 429…) until called with null. */
  refuseUpgrades(status: number | null, retryAfterSeconds: number | null = null): void {
    this.refusal = status === null ? null : { status, retryAfterSeconds };
  }

  /** Refuse the next `times` subscriptions to matching channels (every one by default). */
  refuseSubscriptions(channel: string | ((channel: string) => boolean), reply: SubscriptionRefusal = 'subscribe_failed', times = Infinity): void {
    const matches = typeof channel === 'string' ? (c: string) => c === channel : channel;
    this.refusals.push({ matches, reply, remaining: times });
  }

  /** Sends a data message to every connection subscribed to `channel`; returns how many got it. */
  publish(channel: string, document: unknown, options: { inline?: boolean } = {}): number {
    return this.publishRaw(channel, options.inline ? document : JSON.stringify(document));
  }

  /** Sends a data message whose `data` field is exactly `data` (a string that is not JSON, say). */
  publishRaw(channel: string, data: unknown): number {
    const frame = JSON.stringify({ event: 'data', channel, data });
    let sent = 0;
    for (const connection of this.live) {
      if (connection.halfOpen || !connection.subscriptions.has(channel)) continue;
      connection.ws.send(frame);
      sent += 1;
    }
    this.messagesPushed += sent;
    return sent;
  }

  /** Cuts every connection mid-stream: the sockets are destroyed without a close frame. */
  dropConnections(): void {
    for (const connection of this.live) connection.ws.terminate();
  }

  /** The current connections stay open but go silent: no pong, no data, no answer to anything. */
  goHalfOpen(): void {
    for (const connection of this.live) {
      connection.halfOpen = true;
      if (connection.testTimer !== null) clearInterval(connection.testTimer);
    }
  }

  async close(): Promise<void> {
    for (const connection of this.live) connection.ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.wss.close();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const authorization = req.headers.authorization;
    const attempt = (status: number) => this.upgrades.push({ at: Date.now(), status, authorization });
    if (new URL(req.url ?? '/', 'http://x').pathname !== STREAM_PATH) {
      attempt(404);
      refuse(socket, 404, { detail: 'Not found.' });
      return;
    }
    if (this.refusal !== null) {
      const { status, retryAfterSeconds } = this.refusal;
      attempt(status);
      const headers: Record<string, string> = retryAfterSeconds === null ? {} : { 'Retry-After': String(retryAfterSeconds) };
      refuse(socket, status, { detail: `refused by the stand-in with ${status}` }, headers);
      return;
    }
    if (authorization === undefined) {
      attempt(401);
      refuse(socket, 401, { detail: 'Authentication credentials were not provided.' });
      return;
    }
    if (authorization !== `Token ${this.token}`) {
      attempt(401);
      refuse(socket, 401, { detail: 'Invalid token.' });
      return;
    }
    attempt(101);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const connection: Connection = {
      id: this.nextId++,
      ws,
      subscriptions: new Set(),
      received: [],
      halfOpen: false,
      testTimer: null,
    };
    this.live.add(connection);
    ws.on('ping', (data) => {
      if (!connection.halfOpen) ws.pong(data);
    });
    ws.on('message', (data) => {
      if (!connection.halfOpen) this.message(connection, data.toString());
    });
    ws.on('close', () => {
      this.live.delete(connection);
      if (connection.testTimer !== null) clearInterval(connection.testTimer);
    });
    ws.on('error', () => ws.terminate());
  }

  private message(connection: Connection, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    connection.received.push(message);
    const { subscribe, unsubscribe } = (message ?? {}) as { subscribe?: unknown; unsubscribe?: unknown };
    if (typeof subscribe === 'string') this.subscribe(connection, subscribe);
    else if (typeof unsubscribe === 'string') {
      connection.subscriptions.delete(unsubscribe);
      if (unsubscribe === '/test' && connection.testTimer !== null) {
        clearInterval(connection.testTimer);
        connection.testTimer = null;
      }
      send(connection.ws, { event: 'channel_unsubscribed', channel: unsubscribe });
    }
  }

  private subscribe(connection: Connection, channel: string): void {
    const rule = this.refusals.find((r) => r.remaining > 0 && r.matches(channel));
    if (rule !== undefined) {
      rule.remaining -= 1;
      if (rule.reply === 'subscribe_failed') send(connection.ws, { event: 'subscribe_failed', channel, detail: 'denied' });
      if (rule.reply === 'error') send(connection.ws, { event: 'error', channel, detail: 'channel not allowed' });
      return;
    }
    connection.subscriptions.add(channel);
    send(connection.ws, { event: 'channel_subscribed', channel });
    if (channel === '/test' && connection.testTimer === null) {
      connection.testTimer = setInterval(() => {
        if (!connection.halfOpen) send(connection.ws, { event: 'data', channel: '/test', data: '1' });
      }, this.testIntervalMs);
    }
  }
}

function send(ws: WebSocket, message: unknown): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function refuse(socket: Duplex, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}
