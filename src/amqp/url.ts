/**
 * Broker addresses as operators write them: `amqp://` / `amqps://` URLs and oslo's
 * `transport_url` (`rabbit://user:pass@h1:5672,user:pass@h2:5672/vhost?ssl=1`), which lists
 * several hosts in failover order. Passwords live only in BrokerHost and never leave this
 * module in printable form: use redactedUrl() for anything shown to a person.
 */
import { MASK } from '../oslo/secrets.js';

export interface BrokerHost {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

export interface BrokerAddress {
  readonly tls: boolean;
  readonly vhost: string;
  /** Failover order: tried one after another on (re)connect. */
  readonly hosts: readonly BrokerHost[];
}

export class UrlError extends Error {}

const SCHEMES: Record<string, boolean> = {
  'amqp:': false,
  'amqps:': true,
  'rabbit:': false,
  'rabbit+ssl:': true,
  'kombu+rabbit:': false,
};

export function parseBrokerUrl(url: string): BrokerAddress {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) throw new UrlError('not a URL: expected amqp://, amqps:// or rabbit://');
  const scheme = url.slice(0, schemeEnd + 1).toLowerCase();
  if (!(scheme in SCHEMES)) {
    throw new UrlError(`scheme ${scheme.slice(0, 20)}// is not supported: use amqp://, amqps:// or rabbit://`);
  }
  let rest = url.slice(schemeEnd + 3);
  // Credentials run to the last '@', so a '?', '/', '#' or '@' before it belongs to a user or
  // password (unencoded, as operators paste them) and never starts the query or the vhost.
  const lastAt = rest.lastIndexOf('@');
  let query = '';
  const q = rest.indexOf('?', lastAt + 1);
  if (q >= 0) [rest, query] = [rest.slice(0, q), rest.slice(q + 1)];
  const slash = rest.indexOf('/', lastAt + 1);
  const hostList = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : '';

  const params = new URLSearchParams(query);
  const sslParam = params.get('ssl');
  const tls = SCHEMES[scheme] === true || sslParam === '1' || sslParam?.toLowerCase() === 'true';
  const defaultPort = tls ? 5671 : 5672;
  if (hostList.length === 0) throw new UrlError('no host given');
  const parts = hostList.split(',');
  // A ',' is the one character a password cannot hold unencoded: it splits the host list, and
  // the part before it would read as a host. Said without quoting either part.
  const missing = lastAt >= 0 ? parts.findIndex((h) => !h.includes('@')) : -1;
  if (missing >= 0) {
    throw new UrlError(
      `host ${missing + 1} of ${parts.length} has no user:password@ but another has: a ',' in a user or password must be percent-encoded (%2C)`,
    );
  }
  const hosts = parts.map((h) => parseHost(h, defaultPort));
  return { tls, vhost: path === '' ? '/' : decode(path, 'vhost'), hosts };
}

function parseHost(text: string, defaultPort: number): BrokerHost {
  const at = text.lastIndexOf('@');
  const credentials = at >= 0 ? text.slice(0, at) : '';
  const address = at >= 0 ? text.slice(at + 1) : text;
  const colon = credentials.indexOf(':');
  const username = at >= 0 ? decode(colon >= 0 ? credentials.slice(0, colon) : credentials, 'user') : 'guest';
  const password = at >= 0 ? (colon >= 0 ? decode(credentials.slice(colon + 1), 'password') : '') : 'guest';

  // Unencoded white space would end the URL for every redaction of free text: refuse it here.
  if (/\s/.test(credentials)) throw new UrlError('user or password contains white space: percent-encode it (%20)');
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(address);
  if (!m) throw new UrlError(`host "${address.slice(0, 100)}" is not host[:port]`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UrlError(`port ${m[2]} is out of range`);
  const hostname = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  // Not enumerable: a host logged, spread or serialized by mistake carries no password.
  const host = { hostname, port, username } as BrokerHost;
  Object.defineProperty(host, 'password', { value: password, enumerable: false });
  return host;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UrlError(`${what} is not valid percent-encoding`);
  }
}

/** The address as a person may see it: every password replaced by `***`. */
export function redactedUrl(address: BrokerAddress): string {
  const hosts = address.hosts.map((h) => `${hostLabel(h)}`).join(',');
  const vhost = address.vhost === '/' ? '' : encodeURIComponent(address.vhost);
  return `${address.tls ? 'amqps' : 'amqp'}://${hosts}/${vhost}`;
}

/** `user:***@host:port` for one host, for logs about that host. */
export function hostLabel(host: BrokerHost): string {
  const name = host.hostname.includes(':') ? `[${host.hostname}]` : host.hostname;
  return `${encodeURIComponent(host.username)}:${MASK}@${name}:${host.port}`;
}
