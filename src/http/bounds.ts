import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Handler } from './web-guard.js';

/**
 * How long a client may take, so that slow or silent clients cannot hold connections for
 * minutes (Node's defaults: 60 s for the headers, checked every 30 s; 120 s for a TLS
 * handshake; no limit on a silent socket).
 */
export interface ServerTimeouts {
  /** From connection to the end of the request's headers. */
  readonly headersMs: number;
  /** From connection to the end of the whole request. */
  readonly requestMs: number;
  /** An idle keep-alive connection between requests. */
  readonly keepAliveMs: number;
  /** A socket with nothing read or written, e.g. a client that stopped reading the answer. */
  readonly idleMs: number;
  /** From TCP connection to the end of the TLS handshake. */
  readonly handshakeMs: number;
}

export const SERVER_TIMEOUTS: ServerTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
  idleMs: 30_000,
  handshakeMs: 10_000,
};

/** How often Node looks for connections past headersMs or requestMs (its default is 30 s). */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export function applyTimeouts(server: Server, timeouts: ServerTimeouts = SERVER_TIMEOUTS): void {
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  server.setTimeout(timeouts.idleMs, (socket: Socket) => socket.destroy());
}

/**
 * At most `max` requests in progress (0: no limit); beyond, 503 at once, with the text
 * node_exporter's --web.max-requests answers. It comes before authentication, so the
 * password checks are bounded by it too.
 */
export function limitRequests(handler: Handler, max: number): Handler {
  if (max === 0) return handler;
  let inProgress = 0;
  return (req, res) => {
    if (inProgress >= max) {
      res.statusCode = 503;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Retry-After', '1');
      res.end(`Limit of concurrent requests reached (${max}), try again later.\n`);
      return;
    }
    inProgress++;
    res.once('close', () => inProgress--);
    handler(req, res);
  };
}

// Go's net/http answers the same to plain HTTP on a TLS port.
export const PLAIN_HTTP_ANSWER =
  'HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

// Every TLS connection starts with a handshake record (content type 22).
const TLS_HANDSHAKE = 0x16;

/**
 * Plain HTTP sent to the TLS port gets a 400 saying so, as Go's server answers, instead of
 * a closed connection: the server's first byte tells a TLS handshake from a request line.
 */
export function answerPlainHttp(server: HttpsServer, handshakeMs: number): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), handshakeMs);
    socket.once('close', () => clearTimeout(timer));
    socket.once('readable', () => {
      clearTimeout(timer);
      const first = socket.read(1) as Buffer | null;
      if (first === null) return void socket.destroy();
      socket.unshift(first);
      if (first[0] !== TLS_HANDSHAKE) {
        socket.on('error', () => undefined);
        socket.end(PLAIN_HTTP_ANSWER);
        return;
      }
      for (const listener of tlsListeners) listener.call(server, socket);
    });
  });
}
