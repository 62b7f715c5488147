/**
 * What is secret, defined once for logs, `tail` and the landing page: values under keys
 * named like a password, token, secret or credential (oslo's request context included),
 * and the password part of a URL. Only the secret itself is masked: a user name, an
 * exchange or any other text that happens to equal a password is left alone.
 */

export const MASK = '***';

const SECRET_WORDS = /token|password|passwd|secret|credential/i;
const SECRET_KEY = /(^|_)(password|passwd|secret|token|credentials?)$/i;

/**
 * `_context_auth_token` and every `_context_*` key naming a token, password, secret or
 * credential, `_context_service_catalog` (endpoints, sometimes with tokens), and any other
 * key named like a password or token, wherever it sits. `.` and `-` count as `_`, so flag
 * names (`amqp.password`) follow the same rule. The rest of oslo's context (request and
 * user ids, roles) is kept: `tail` shows it and it names no secret.
 */
export function isSecretKey(key: string): boolean {
  const k = key.replace(/[.-]/g, '_');
  if (k.startsWith('_context_')) return k === '_context_service_catalog' || SECRET_WORDS.test(k);
  return SECRET_KEY.test(k);
}

/**
 * Masks the password of every `scheme://user:password@host` in free text (a library's
 * error, a quoted nova.conf line). Reads the hosts as parseBrokerUrl does: they run to
 * the first '/' after the last '@', each comma-separated host may carry its own
 * credentials, and a password runs from the first ':' to its host's last '@', so a
 * password holding '@', ':', '/', '?', '#' or ',' is masked whole. A URL ends at white space only, which
 * a broker URL cannot hold unencoded (parseBrokerUrl refuses it).
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)(\S*)/gi, (_m, scheme: string, rest: string) => scheme + maskHosts(rest));
}

function maskHosts(rest: string): string {
  const lastAt = rest.lastIndexOf('@');
  if (lastAt < 0) return rest;
  const slash = rest.indexOf('/', lastAt + 1);
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const after = slash < 0 ? '' : rest.slice(slash);
  const segments = hosts.split(',');
  // Every host `user:password@address`: each password runs from its first ':' to its last '@'.
  if (segments.length > 1 && segments.every(isUserPasswordHost)) return segments.map(maskCredentials).join(',') + after;
  // One host, or a list a ',' inside a password has split (a part without user:password@,
  // which parseBrokerUrl refuses): everything from the first ':' to the last '@' is masked,
  // hosts and users between them included, rather than a piece of a password left showing.
  return maskCredentials(hosts) + after;
}

function isUserPasswordHost(host: string): boolean {
  const at = host.lastIndexOf('@');
  const colon = host.indexOf(':');
  return colon >= 0 && colon < at && at < host.length - 1;
}

/** `user:secret@host` → `user:***@host`; no ':' before the last '@': a user name alone, nothing secret. */
function maskCredentials(text: string): string {
  const at = text.lastIndexOf('@');
  const colon = text.indexOf(':');
  return colon < 0 || colon > at ? text : `${text.slice(0, colon)}:${MASK}${text.slice(at)}`;
}

/** A setting as a person may see it: masked whole when its name is secret, else its URL passwords. */
export function redactSetting(name: string, value: string): string {
  return isSecretKey(name) ? MASK : redactUrlsIn(value);
}

type Slot = { [key: string]: unknown } | unknown[];

/**
 * A copy with secret keys masked and URL passwords in every string replaced by `***`.
 * An Error becomes `{type, message}` (no stack: one line, and stacks can quote values).
 * Walks with its own stack: a message nested 100,000 deep must not overflow the call stack.
 */
export function redactSecrets(root: unknown): unknown {
  const top: { [key: string]: unknown } = { root: undefined };
  const stack: [value: unknown, parent: Slot, key: string | number][] = [[root, top, 'root']];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [value, parent, key] = item;
    let copy: unknown = value;
    if (typeof value === 'string') {
      copy = redactUrlsIn(value);
    } else if (value instanceof Error) {
      copy = { type: value.name, message: redactUrlsIn(value.message) };
    } else if (Array.isArray(value)) {
      const array: unknown[] = new Array<unknown>(value.length);
      value.forEach((v, i) => stack.push([v, array, i]));
      copy = array;
    } else if (typeof value === 'object' && value !== null) {
      const object: { [key: string]: unknown } = {};
      for (const [k, v] of Object.entries(value)) {
        // Set now, filled later: keeps the keys in their original order.
        define(object, k, isSecretKey(k) ? MASK : undefined);
        if (!isSecretKey(k)) stack.push([v, object, k]);
      }
      copy = object;
    }
    if (Array.isArray(parent)) parent[key as number] = copy;
    else define(parent, key as string, copy);
  }
  return top['root'];
}

// A "__proto__" key from JSON.parse is an own property; plain assignment would set the prototype instead.
function define(object: { [key: string]: unknown }, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
