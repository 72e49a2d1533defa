import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { closeSilentSockets } from './silent-sockets.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleSocketTimeoutMs: number;
  maxConnections: number;
}

export interface HttpServer {
  address: { host: string; port: number; url: string };
  /**
   * Stop taking connections and wait for the requests in flight, until `deadline` (epoch ms): a
   * client still trickling a request when half the remaining time is gone is cut off (it was not
   * acknowledged, and what comes after the server needs the rest).
   */
  close(deadline: number): Promise<void>;
}

/** Listens with the slow-client limits; rejects with the listen error (port in use…). */
export async function listen(app: Hono, options: HttpServerOptions): Promise<HttpServer> {
  const { headersTimeoutMs, requestTimeoutMs } = options;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const serverOptions = {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node checks those two timeouts only this often (30 s by default), so a limit of a few
      // seconds would otherwise hold a slow client for up to 30 s more.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
    };
    const s = serve({ fetch: app.fetch, hostname: options.host, port: options.port, serverOptions }, () => resolve(s));
    s.once('error', reject);
  });
  const http = server as Server;
  http.headersTimeout = headersTimeoutMs;
  http.requestTimeout = requestTimeoutMs;
  http.keepAliveTimeout = options.keepAliveTimeoutMs;
  http.maxConnections = options.maxConnections;
  closeSilentSockets(http, options.idleSocketTimeoutMs);

  const { port } = http.address() as AddressInfo;
  const urlHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    address: { host: options.host, port, url: `http://${urlHost}:${port}` },
    async close(deadline) {
      // close() waits for in-flight requests; idle keep-alive sockets are closed at once.
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const cutOff = setTimeout(() => http.closeAllConnections(), Math.max(0, (deadline - Date.now()) / 2));
      await closed;
      clearTimeout(cutOff);
    },
  };
}
