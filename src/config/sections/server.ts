import { z } from 'zod';
import { section, setting } from '../setting.js';

const positiveInt = z.number().int().positive();

export const server = section(
  {
    host: setting(z.string().min(1), '0.0.0.0', { env: 'MIST_BRIDGE_HOST', doc: 'listen address' }),
    port: setting(z.number().int().min(0).max(65535), 4320, { env: 'MIST_BRIDGE_PORT', doc: 'listen port (`0`: any free port)' }),
    path: setting(z.string().startsWith('/', { message: 'must start with "/"' }), '/mist/webhook', {
      env: 'MIST_BRIDGE_PATH',
      doc: 'the URL path Mist posts to',
    }),
    maxBodyBytes: setting(positiveInt, 10485760, {
      env: 'MIST_BRIDGE_MAX_BODY_BYTES',
      doc: 'largest body, counted after gzip decompression',
      why: "Mist's own deliveries are a few KiB to a few hundred KiB; 10 MiB leaves room for 200+ event aggregates.",
    }),
    headersTimeoutMs: setting(positiveInt, 10000, {
      doc: "a request's headers must arrive within this time (slow-client limit); at most `server.requestTimeoutMs`",
    }),
    requestTimeoutMs: setting(positiveInt, 30000, { doc: 'the whole request must arrive within this time (slow-client limit)' }),
    keepAliveTimeoutMs: setting(positiveInt, 5000, { doc: 'how long an idle keep-alive connection is kept open' }),
    idleSocketTimeoutMs: setting(positiveInt, 2000, {
      env: 'MIST_BRIDGE_IDLE_SOCKET_TIMEOUT_MS',
      doc: 'a connection that sends no byte within this time is closed',
      why: "Node's headersTimeout holds a silent socket for 10 s; 2,048 of them would shut real deliveries out for that long.",
    }),
    maxConnections: setting(positiveInt, 2048, { doc: 'concurrent TCP connections; beyond this new sockets are closed at once' }),
    maxInflightBodyBytes: setting(positiveInt, 268435456, {
      doc: 'request body bytes held in memory at once across all connections; beyond it a delivery gets `503 server_busy`',
      why: 'Bounds memory when many clients upload large bodies slowly.',
    }),
    shutdownTimeoutMs: setting(positiveInt, 10000, {
      doc: 'how long SIGTERM/SIGINT may spend flushing; with `durability.dir` unset, at least the OTLP export timeout',
      why:
        'A stop shorter than one export attempt gives up on an export the backend may still accept: with a ' +
        'journal its records are exported again at the next start (perhaps twice), without one they are lost, ' +
        'so a memory-only bridge must allow at least otlp.timeoutMs.',
    }),
  },
  {
    rules: [
      {
        keys: ['headersTimeoutMs', 'requestTimeoutMs'],
        check: (s) =>
          s.headersTimeoutMs <= s.requestTimeoutMs
            ? undefined
            : `server.headersTimeoutMs (${s.headersTimeoutMs}) is longer than server.requestTimeoutMs (${s.requestTimeoutMs}); the headers are part of the request, so their limit cannot exceed the whole request's`,
      },
    ],
  },
);
