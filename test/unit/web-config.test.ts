import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { buildConfig, ConfigError } from '../../src/config/config.js';
import { loadWebConfig, readWebConfig, type WebConfig } from '../../src/http/web-config.js';

// Files in the manner of exporter-toolkit's web/testdata, with the self-signed pair it also
// ships (server.crt/server.key; other.key belongs to no certificate here).
const DIR = new URL('../fixtures/web-config/', import.meta.url).pathname;
const at = (f: string): string => path.join(DIR, f);

// Each bad file and the exact line it gives: what is wrong, where, and never a secret.
const BAD: Record<string, string> = {
  'junk.bad.yml': 'line 1: not a mapping of tls_server_config, http_server_config, basic_auth_users, rate_limit',
  'unknown-key.bad.yml': 'line 3: unknown key tls_server_config.cert_filse',
  'unknown-top-key.bad.yml': 'line 2: unknown key tls_config',
  'duplicate-key.bad.yml': 'line 3: Map keys must be unique',
  'cert-file-empty.bad.yml': 'tls_server_config: missing one of cert or cert_file',
  'key-file-empty.bad.yml': 'tls_server_config: missing one of key or key_file',
  'cert-file-missing.bad.yml': `failed to read cert_file (${at('somefile')}): no such file`,
  'key-mismatch.bad.yml': `failed to load X509KeyPair from ${at('server.crt')} and ${at('other.key')}: key values mismatch`,
  'client-ca-without-policy.bad.yml': "tls_server_config: client CA's have been configured without a Client Auth Policy",
  'client-auth-type.bad.yml': 'line 4: tls_server_config.client_auth_type: invalid ClientAuth: RequireAndVerify',
  'tls-version.bad.yml': 'line 4: tls_server_config.min_version: unknown TLS version: TLS111',
  'tls-versions-crossed.bad.yml': 'tls_server_config: min_version is above max_version',
  'cipher.bad.yml': 'line 6: tls_server_config.cipher_suites.1: unknown cipher: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048',
  'curve.bad.yml': 'line 5: tls_server_config.curve_preferences.0: unknown curve: CurveP257',
  'password-not-hashed.bad.yml': `basic_auth_users.prometheus: not a bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\\n' makes one)`,
  'users-list.bad.yml': 'line 2: basic_auth_users must be a mapping',
  'header-not-allowed.bad.yml': 'http_server_config.headers: HTTP header "Content-Type" can not be configured',
  'header-value.bad.yml':
    'http_server_config.headers: invalid value for X-Frame-Options. Expected one of: "deny" "sameorigin", but got: "allow"',
  'http2.bad.yml': 'line 2: http_server_config.http2: must be true or false',
  'rate-limit.bad.yml': 'rate_limit.interval: not a duration: "1 second" (e.g. 1s, 250ms)',
  'nonexistent.yml': 'cannot be read: no such file',
};

const errorOf = (file: string): string => {
  try {
    readWebConfig(at(file));
  } catch (err) {
    return (err as Error).message;
  }
  return 'loaded';
};

describe('web configuration file (exporter-toolkit format)', () => {
  test('every bad file in the fixtures has its expected error', () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.bad.yml'));
    assert.deepEqual(
      files.sort(),
      Object.keys(BAD)
        .filter((f) => f !== 'nonexistent.yml')
        .sort(),
    );
  });

  for (const [file, expected] of Object.entries(BAD)) {
    test(`${file}: ${expected}`, () => {
      assert.equal(errorOf(file), expected);
    });
  }

  test('a bad file stops start-up with one line naming the flag, the file and the key', () => {
    const file = at('unknown-key.bad.yml');
    assert.throws(
      () => buildConfig({ 'web.config.file': file }, {}),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === `invalid --web.config.file: "${file}" line 3: unknown key tls_server_config.cert_filse`,
    );
    assert.throws(
      () => buildConfig({}, { WEB_CONFIG_FILE: at('password-not-hashed.bad.yml') }),
      (err: unknown) =>
        err instanceof ConfigError && /^invalid --web\.config\.file \(from WEB_CONFIG_FILE\): .* not a bcrypt hash/.test(err.message),
    );
  });

  test('names a file at a long path in full: an error never cuts a path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'osne-web-config-'));
    try {
      const deep = path.join(dir, 'a-directory-name-that-makes-the-path-long'.repeat(5));
      mkdirSync(deep);
      const file = path.join(deep, 'web.yml');
      writeFileSync(file, 'tls_config: {}\n');
      assert.ok(file.length > 200);
      assert.throws(
        () => buildConfig({ 'web.config.file': file }, {}),
        (err: unknown) =>
          err instanceof ConfigError && err.message === `invalid --web.config.file: "${file}" line 1: unknown key tls_config`,
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test('never quotes a password or a hash back', () => {
    assert.doesNotMatch(errorOf('password-not-hashed.bad.yml'), /hunter2/);
    assert.doesNotMatch(errorOf('duplicate-key.bad.yml'), /\$2b\$/);
  });

  test('an empty file means plain HTTP without authentication', () => {
    const c = loadWebConfig(at('empty.good.yml'));
    assert.equal(c.tls, undefined);
    assert.equal(c.users.size, 0);
    assert.deepEqual(c.headers, {});
  });

  test('every key of the format, with paths relative to the file and Go names mapped to OpenSSL ones', () => {
    const c = loadWebConfig(at('full.good.yml'));
    assert.deepEqual(c.tls, {
      certFile: at('server.crt'),
      keyFile: at('server.key'),
      clientCaFile: at('server.crt'),
      cert: undefined,
      key: undefined,
      clientCa: undefined,
      clientAuthType: 'VerifyClientCertIfGiven',
      clientAllowedSans: ['localhost'],
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      // TLS 1.3 suites are not configurable, in Go as in OpenSSL's cipher list.
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      honorCipherOrder: false,
      ecdhCurve: 'X25519:P-256',
    });
    assert.deepEqual(c.headers, {
      'X-Frame-Options': 'deny',
      'X-Content-Type-Options': 'nosniff',
      'Strict-Transport-Security': 'max-age=31536000',
    });
    assert.deepEqual([...c.users.keys()], ['prometheus']);
    assert.deepEqual(c.rateLimit, { intervalMs: 100, burst: 20 });
    assert.deepEqual(c.files, [at('full.good.yml'), at('server.crt'), at('server.key'), at('server.crt')]);
  });

  test('TLS defaults as the toolkit: TLS 1.2 to 1.3, no client certificate, server cipher order', () => {
    const minimal = readWebConfigText(`tls_server_config:\n  cert_file: ${at('server.crt')}\n  key_file: ${at('server.key')}\n`);
    assert.equal(minimal.tls?.minVersion, 'TLSv1.2');
    assert.equal(minimal.tls?.maxVersion, 'TLSv1.3');
    assert.equal(minimal.tls?.clientAuthType, 'NoClientCert');
    assert.equal(minimal.tls?.honorCipherOrder, true);
    assert.equal(minimal.tls?.ciphers, undefined);
  });
});

function readWebConfigText(text: string): WebConfig {
  const dir = mkdtempSync(path.join(tmpdir(), 'osne-web-config-'));
  try {
    writeFileSync(path.join(dir, 'web.yml'), text);
    return loadWebConfig(path.join(dir, 'web.yml'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
