import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type express from 'express';
import type { ListenAddress } from '../config/flags.js';
import type { Logger } from '../log.js';
import type { TlsServerSettings } from './web-config.js';
import { WebConfigSource } from './web-config-source.js';
import { answerPlainHttp, applyTimeouts, CONNECTIONS_CHECKING_INTERVAL_MS, limitRequests, SERVER_TIMEOUTS } from './bounds.js';
import { systemdSockets, type ListenTarget } from './systemd-socket.js';
import { WebGuard, type Handler } from './web-guard.js';

export interface ServeOptions {
  /** Each gets its own server, as the toolkit listens on every --web.listen-address. */
  readonly addresses: readonly ListenAddress[];
  /** Listening sockets passed by systemd (--web.systemd-socket): served instead of addresses. */
  readonly systemdSocket?: boolean;
  /** exporter-toolkit's web configuration file; undefined: plain HTTP, no authentication. */
  readonly webConfigFile: string | undefined;
  /** Requests in progress before new ones get 503; 0: no limit. */
  readonly maxRequests: number;
  readonly log: Logger;
}

export interface Serving {
  /** The port bound for the first address (differs from the configured one when that was 0). */
  readonly port: number;
  /** host:port as bound, one per address. */
  readonly addresses: readonly string[];
  close(): Promise<void>;
}

/** Serves the app on every address, with the web configuration's TLS, basic auth and headers when one is given. */
export async function serveHttp(app: express.Express, options: ServeOptions): Promise<Serving> {
  const { log } = options;
  const source = options.webConfigFile === undefined ? undefined : new WebConfigSource(options.webConfigFile, log);
  // One guard for every address: one bcrypt pool, one cache of verified credentials.
  const guard = source && new WebGuard(() => source.current().config);
  // One limit for all addresses, counted before authentication.
  const handler = limitRequests(guard ? guard.wrap(app) : app, options.maxRequests);
  const targets: readonly ListenTarget[] = options.systemdSocket ? systemdSockets() : options.addresses;
  const servers: Server[] = [];
  try {
    for (const target of targets) {
      const server = source ? secured(handler, source) : createHttpServer(SERVER_OPTIONS, handler);
      applyTimeouts(server);
      trackSockets(server);
      servers.push(server);
      await bind(server, target);
      const tls = source?.current().config.tls !== undefined;
      log.info({ address: shown(server), tls, basicAuth: (source?.current().config.users.size ?? 0) > 0 }, 'listening');
    }
  } catch (err) {
    await Promise.all(servers.map(close));
    await guard?.close();
    throw err;
  }
  return {
    port: (servers[0]?.address() as AddressInfo).port,
    addresses: servers.map(shown),
    close: async () => {
      await Promise.all(servers.map(close));
      await guard?.close();
    },
  };
}

const SERVER_OPTIONS = { connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS };

function secured(handler: Handler, source: WebConfigSource): Server {
  const { config, secureContext } = source.current();
  if (!config.tls || !secureContext) return createHttpServer(SERVER_OPTIONS, handler);
  const server = createHttpsServer(
    { ...SERVER_OPTIONS, ...secureContext, ...clientAuth(config.tls), handshakeTimeout: SERVER_TIMEOUTS.handshakeMs },
    handler,
  );
  answerPlainHttp(server, SERVER_TIMEOUTS.handshakeMs);
  // Before the TLS socket is made from the server's context: a changed certificate is read
  // now, so this very connection gets it (setSecureContext only affects new connections).
  server.prependListener('connection', () => source.current());
  source.onReload(({ config: next, secureContext: context }) => {
    if (!next.tls || !context) return;
    server.setSecureContext(context);
    Object.assign(server, clientAuth(next.tls));
  });
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const tls = source.current().config.tls;
    if (tls && !clientAccepted(socket, tls)) socket.destroy();
  });
  return server;
}

/**
 * Go's ClientAuth policies in Node's terms. Node verifies the certificate only when it
 * also rejects the unverified, so the in-between policies are finished in clientAccepted.
 */
function clientAuth(tls: TlsServerSettings): { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    requestCert: tls.clientAuthType !== 'NoClientCert',
    rejectUnauthorized: tls.clientAuthType === 'RequireAndVerifyClientCert',
  };
}

function clientAccepted(socket: TLSSocket, tls: TlsServerSettings): boolean {
  const cert = socket.getPeerCertificate();
  const given = cert !== null && Object.keys(cert).length > 0;
  if (tls.clientAuthType === 'RequireAnyClientCert' && !given) return false;
  if (tls.clientAuthType === 'VerifyClientCertIfGiven' && given && !socket.authorized) return false;
  if (tls.clientAllowedSans) {
    // "DNS:a, IP Address:10.0.0.1, email:x@y, URI:spiffe://..." → the values, as Go lists them.
    const sans = (cert?.subjectaltname ?? '').split(', ').map((s) => s.slice(s.indexOf(':') + 1));
    if (!sans.some((s) => tls.clientAllowedSans?.includes(s))) return false;
  }
  return true;
}

/** Resolves once bound, so a busy port fails start-up with one clear line. */
function bind(server: Server, target: ListenTarget): Promise<void> {
  if ('fd' in target) {
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`--web.systemd-socket: cannot serve on file descriptor ${target.fd} (${err.code ?? err.message})`)),
      );
      server.listen({ fd: target.fd }, () => resolve());
    });
  }
  const { host, port } = target;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${host === undefined ? '' : host.includes(':') ? `[${host}]` : host}:${port}`;
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `--web.listen-address: ${where} is already in use`
            : `--web.listen-address: cannot listen on ${where} (${err.code ?? err.message})`,
        ),
      );
    });
    if (host === undefined) server.listen(port, () => resolve());
    else server.listen(port, host, () => resolve());
  });
}

function shown(server: Server): string {
  const a = server.address() as AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

// Every socket a server accepted, including those not yet handed to HTTP (a TLS port's
// before its first byte), which closeAllConnections does not know of.
const accepted = new WeakMap<Server, Set<Socket>>();

function trackSockets(server: Server): void {
  const sockets = new Set<Socket>();
  accepted.set(server, sockets);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of accepted.get(server) ?? []) socket.destroy();
  });
}
