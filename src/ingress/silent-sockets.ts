import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes every connection that has sent no byte `idleMs` after it was accepted. Node's
 * headersTimeout and requestTimeout apply only once a request has begun (its first byte), and
 * keepAliveTimeout only after a response, so a socket that stays silent from the start holds one
 * of `maxConnections` until the peer goes away: enough of them shut every delivery out.
 */
export function closeSilentSockets(server: Server, idleMs: number): void {
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead > 0) return;
      // After a stalled event loop the bytes may be waiting to be read: one more turn reads them.
      setImmediate(() => {
        if (socket.bytesRead === 0) socket.destroy();
      });
    }, idleMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
