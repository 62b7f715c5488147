import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * prometheus/exporter-toolkit's web configuration file (`--web.config.file`), the format
 * operators already write for node_exporter and the other exporters: same keys, same
 * defaults, same meaning (docs/web-configuration.md and web/tls_config.go there). Parsing
 * is strict like the toolkit's yaml.UnmarshalStrict: an unknown key is an error.
 */

/** Go's crypto/tls names, as the toolkit accepts them (tls.CipherSuites()), to OpenSSL's. */
const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  // TLS 1.3 suites: accepted, and (as in Go) not configurable, so they map to nothing.
  TLS_AES_128_GCM_SHA256: '',
  TLS_AES_256_GCM_SHA384: '',
  TLS_CHACHA20_POLY1305_SHA256: '',
};

const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
type TlsVersion = (typeof TLS_VERSIONS)[keyof typeof TLS_VERSIONS];

// The toolkit's RequireClientCert is kept as an alias of RequireAnyClientCert.
const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'RequireClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = Exclude<(typeof CLIENT_AUTH_TYPES)[number], 'RequireClientCert'>;

/** The toolkit allows only these response headers, some only with these values (web/handler.go). */
const HEADERS: Readonly<Record<string, readonly string[] | undefined>> = {
  'Strict-Transport-Security': undefined,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': undefined,
  'Content-Security-Policy': undefined,
};

// golang.org/x/crypto/bcrypt's format: $2a$, $2b$ or $2y$, a two-digit cost from 4 to 31, 53 characters of salt and hash.
const BCRYPT = /^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** A Go duration (`1s`, `1m30s`, `250ms`), in milliseconds. */
function goDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * (unit[p[2] as string] as number), 0);
}

const str = z.string({ error: 'must be a string' });
const strings = z.array(str, { error: 'must be a list of strings' });

const tlsServerConfigSchema = z.strictObject({
  cert: str.optional(),
  key: str.optional(),
  client_ca: str.optional(),
  cert_file: str.optional(),
  key_file: str.optional(),
  client_auth_type: z.enum(CLIENT_AUTH_TYPES, { error: (i) => `invalid ClientAuth: ${String(i.input)}` }).optional(),
  client_ca_file: str.optional(),
  client_allowed_sans: strings.optional(),
  min_version: z
    .enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS], { error: (i) => `unknown TLS version: ${String(i.input)}` })
    .optional(),
  max_version: z
    .enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS], { error: (i) => `unknown TLS version: ${String(i.input)}` })
    .optional(),
  cipher_suites: z.array(str.refine((c) => c in CIPHER_SUITES, { error: (i) => `unknown cipher: ${String(i.input)}` })).optional(),
  prefer_server_cipher_suites: z.boolean({ error: 'must be true or false' }).optional(),
  curve_preferences: z.array(str.refine((c) => c in CURVES, { error: (i) => `unknown curve: ${String(i.input)}` })).optional(),
});

const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerConfigSchema.nullish(),
  http_server_config: z
    .strictObject({
      http2: z.boolean({ error: 'must be true or false' }).optional(),
      headers: z.record(str, str).nullish(),
    })
    .nullish(),
  basic_auth_users: z.record(str, str).nullish(),
  rate_limit: z
    .strictObject({
      interval: z.union([str, z.literal(0)]).optional(),
      burst: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }).min(0).optional(),
    })
    .nullish(),
});

type RawWebConfig = z.output<typeof webConfigSchema>;

export interface TlsServerSettings {
  /** What a secure context is built from; the files are read by loadTlsFiles. */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly clientCaFile: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly clientCa: string | undefined;
  readonly clientAuthType: ClientAuthType;
  readonly clientAllowedSans: readonly string[] | undefined;
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
  /** OpenSSL names, TLS 1.2 and below; undefined: OpenSSL's defaults. */
  readonly ciphers: string | undefined;
  readonly honorCipherOrder: boolean;
  readonly ecdhCurve: string | undefined;
}

export interface WebConfig {
  /** Undefined: plain HTTP (the file may still ask for basic auth and headers). */
  readonly tls: TlsServerSettings | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** User name → bcrypt hash. Empty: no authentication. Never log or show the hashes. */
  readonly users: ReadonlyMap<string, string>;
  readonly rateLimit: { readonly intervalMs: number; readonly burst: number } | undefined;
  /** Files whose change means reloading: the configuration file and every file it names. */
  readonly files: readonly string[];
}

/** One line, naming the file and the key. */
export class WebConfigError extends Error {}

export interface LoadedWebConfig {
  readonly config: WebConfig;
  /** Built from the files as they were read; undefined without TLS. */
  readonly secureContext: SecureContextOptions | undefined;
}

/**
 * Reads and checks the file, and the certificate files it names (a key that does not
 * match its certificate fails here, not at the first handshake). Relative paths are
 * relative to the file's directory, as in the toolkit.
 */
export function readWebConfig(file: string): LoadedWebConfig {
  const config = loadWebConfig(file);
  return { config, secureContext: config.tls && loadTlsFiles(config.tls) };
}

/** The file alone, without reading the certificates it names. */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WebConfigError(`cannot be read: ${ioReason(err)}`);
  }
  const raw = parseStrict(text);
  return fromRaw(raw, path.dirname(file), file);
}

function parseStrict(text: string): RawWebConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw new WebConfigError(`line ${line}: ${yamlError.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS() ?? {};
  const result = webConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0] as z.core.$ZodIssue;
  // An unknown key is reported by its own name, as the toolkit's "field x not found".
  const keyPath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] as string] : issue.path;
  const node = doc.getIn(keyPath.map(String), true) as { range?: [number, number, number] } | undefined;
  const parentNode = doc.getIn(issue.path.map(String), true) as { range?: [number, number, number] } | undefined;
  const offset = issue.code === 'unrecognized_keys' ? keyOffset(doc, keyPath) : (node?.range?.[0] ?? parentNode?.range?.[0]);
  const where = offset === undefined ? '' : `line ${lineCounter.linePos(offset).line}: `;
  const name = keyPath.join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown key ${name}`
      : name === ''
        ? `not a mapping of ${Object.keys(webConfigSchema.shape).join(', ')}`
        : issue.code === 'invalid_type' && (issue.expected === 'object' || issue.expected === 'record')
          ? `${name} must be a mapping`
          : `${name}: ${issue.message}`;
  // A hash or a password is never quoted back: only the key names appear in the message.
  throw new WebConfigError(`${where}${message}`);
}

/** Where the key itself (not its value) of an unknown entry is written. */
function keyOffset(doc: ReturnType<typeof parseDocument>, keyPath: PropertyKey[]): number | undefined {
  const parent = keyPath.length > 1 ? doc.getIn(keyPath.slice(0, -1).map(String), true) : doc.contents;
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items ?? [];
  return items.find((i) => i.key?.value === keyPath.at(-1))?.key?.range?.[0];
}

function fromRaw(raw: RawWebConfig, dir: string, file: string): WebConfig {
  const headers = raw.http_server_config?.headers ?? {};
  for (const [name, value] of Object.entries(headers)) {
    if (!(name in HEADERS)) throw new WebConfigError(`http_server_config.headers: HTTP header "${name}" can not be configured`);
    const allowed = HEADERS[name];
    if (allowed && !allowed.includes(value)) {
      throw new WebConfigError(
        `http_server_config.headers: invalid value for ${name}. Expected one of: ${allowed.map((a) => `"${a}"`).join(' ')}, but got: "${value}"`,
      );
    }
  }
  const users = new Map(Object.entries(raw.basic_auth_users ?? {}));
  for (const [user, hash] of users) {
    const cost = Number(BCRYPT.exec(hash)?.[1]);
    if (!(cost >= 4 && cost <= 31))
      throw new WebConfigError(`basic_auth_users.${user}: not a bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\\n' makes one)`);
  }
  let rateLimit: WebConfig['rateLimit'];
  if (raw.rate_limit) {
    const interval = raw.rate_limit.interval ?? 0;
    const intervalMs = typeof interval === 'number' ? interval : goDurationMs(interval);
    if (intervalMs === undefined) throw new WebConfigError(`rate_limit.interval: not a duration: "${String(interval)}" (e.g. 1s, 250ms)`);
    if (intervalMs > 0) rateLimit = { intervalMs, burst: raw.rate_limit.burst ?? 0 };
  }
  const resolve = (p: string | undefined): string | undefined => (p === undefined || p === '' ? p : path.resolve(dir, p));
  const t = raw.tls_server_config;
  let tls: TlsServerSettings | undefined;
  // As the toolkit's TLSConfig.IsEnabled: any of these set means TLS, which then needs a certificate and key.
  if (
    t &&
    [t.cert_file, t.cert, t.key_file, t.key, t.client_ca_file, t.client_ca, t.client_auth_type].some((v) => v !== undefined && v !== '')
  ) {
    if (!t.cert_file && !t.cert) throw new WebConfigError(`tls_server_config: missing one of cert or cert_file`);
    if (!t.key_file && !t.key) throw new WebConfigError(`tls_server_config: missing one of key or key_file`);
    const clientAuthType: ClientAuthType =
      t.client_auth_type === undefined
        ? 'NoClientCert'
        : t.client_auth_type === 'RequireClientCert'
          ? 'RequireAnyClientCert'
          : t.client_auth_type;
    if ((t.client_ca_file || t.client_ca) && clientAuthType === 'NoClientCert') {
      throw new WebConfigError(`tls_server_config: client CA's have been configured without a Client Auth Policy`);
    }
    const minVersion = TLS_VERSIONS[t.min_version ?? 'TLS12'];
    const maxVersion = TLS_VERSIONS[t.max_version ?? 'TLS13'];
    if (minVersion > maxVersion) throw new WebConfigError(`tls_server_config: min_version is above max_version`);
    const ciphers = (t.cipher_suites ?? []).map((c) => CIPHER_SUITES[c]).filter(Boolean);
    tls = {
      certFile: resolve(t.cert_file || undefined),
      keyFile: resolve(t.key_file || undefined),
      clientCaFile: resolve(t.client_ca_file || undefined),
      cert: t.cert || undefined,
      key: t.key || undefined,
      clientCa: t.client_ca || undefined,
      clientAuthType,
      clientAllowedSans: t.client_allowed_sans,
      minVersion,
      maxVersion,
      ciphers: ciphers.length > 0 ? ciphers.join(':') : undefined,
      honorCipherOrder: t.prefer_server_cipher_suites ?? true,
      ecdhCurve: t.curve_preferences?.length ? t.curve_preferences.map((c) => CURVES[c]).join(':') : undefined,
    };
  }
  const files = [file, ...[tls?.certFile, tls?.keyFile, tls?.clientCaFile].filter((f): f is string => f !== undefined)];
  return { tls, headers, users, rateLimit, files };
}

/** Node's secure context options, the files read now; throws a WebConfigError naming the file that failed. */
export function loadTlsFiles(tls: TlsServerSettings): SecureContextOptions {
  const read = (key: string, file: string | undefined, inline: string | undefined): string | undefined => {
    if (file === undefined) return inline;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new WebConfigError(`failed to read ${key} (${file}): ${ioReason(err)}`);
    }
  };
  const options: SecureContextOptions = {
    cert: read('cert_file', tls.certFile, tls.cert),
    key: read('key_file', tls.keyFile, tls.key),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    honorCipherOrder: tls.honorCipherOrder,
  };
  const ca = read('client_ca_file', tls.clientCaFile, tls.clientCa);
  if (ca !== undefined) options.ca = ca;
  if (tls.ciphers !== undefined) options.ciphers = tls.ciphers;
  if (tls.ecdhCurve !== undefined) options.ecdhCurve = tls.ecdhCurve;
  try {
    createSecureContext(options);
  } catch (err) {
    // OpenSSL's reason only ("key values mismatch", "no start line"): never the key itself.
    const reason = (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)).replace(/^error:[0-9A-Fa-f]+:[^:]*::?/, '');
    throw new WebConfigError(`failed to load X509KeyPair from ${tls.certFile ?? 'cert'} and ${tls.keyFile ?? 'key'}: ${reason}`);
  }
  return options;
}

function ioReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return String(code ?? err);
}
