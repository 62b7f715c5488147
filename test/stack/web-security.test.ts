import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { createTestPki, type TestPki } from '../support/certs.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { createVhost, type Vhost } from '../support/vhost.js';

/**
 * --web.config.file over real TLS: a CA, server and client certificates of the test's own
 * (openssl), the exporter serving them, Node's https client and a real Prometheus as the
 * clients.
 */

const USER = 'prometheus';
const PASSWORD = 'correct horse battery staple';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** CN of the certificate the server presented. */
  readonly serverCn: string;
}

describe('the exporter behind --web.config.file', { timeout: 120_000 }, () => {
  let pki: TestPki;
  let vhost: Vhost;
  let exporter: RunningExporter;
  let webConfig: string;
  let hash: string;
  let ca: string;
  let clientCert: { cert: string; key: string };

  /** One request on a fresh connection (no keep-alive), so each one makes its own handshake. */
  const get = (urlPath: string, options: RequestOptions & { user?: string; password?: string } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const { user, password, ...tls } = options;
      const headers: Record<string, string> = {};
      if (user !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
      const req = request(
        { host: '127.0.0.1', port: exporter.exporter.port, path: urlPath, ca, agent: false, headers, ...clientCert, ...tls },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              serverCn: String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });

  before(async () => {
    pki = await createTestPki();
    ca = await readFile(pki.caCert, 'utf8');
    clientCert = { cert: await readFile(pki.client.cert, 'utf8'), key: await readFile(pki.client.key, 'utf8') };
    hash = bcrypt.hashSync(PASSWORD, 10);
    webConfig = path.join(pki.dir, 'web.yml');
    // Relative paths: the toolkit resolves them from the file's directory.
    await writeFile(
      webConfig,
      [
        'tls_server_config:',
        '  cert_file: server.crt',
        '  key_file: server.key',
        '  client_auth_type: RequireAndVerifyClientCert',
        '  client_ca_file: ca.crt',
        '  min_version: TLS13',
        'http_server_config:',
        '  headers:',
        '    X-Frame-Options: deny',
        '    Strict-Transport-Security: max-age=31536000',
        'basic_auth_users:',
        `  ${USER}: ${hash}`,
        '',
      ].join('\n'),
    );
    vhost = await createVhost();
    exporter = await runExporter({ 'web.config.file': webConfig }, { AMQP_URL: vhost.url });
  });

  after(async () => {
    await exporter?.stop();
    await vhost?.remove();
    await pki?.remove();
  });

  test('the right password gets the metrics, with the configured headers', async () => {
    const r = await get('/metrics', { user: USER, password: PASSWORD });
    assert.equal(r.status, 200);
    assert.match(r.body, /^openstack_notification_exporter_build_info\{/m);
    assert.equal(r.headers['x-frame-options'], 'deny');
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000');
  });

  test('a wrong password, an unknown user or none gets 401 with WWW-Authenticate, on every path', async () => {
    for (const [urlPath, credentials] of [
      ['/metrics', { user: USER, password: 'wrong' }],
      ['/metrics', { user: 'admin', password: PASSWORD }],
      ['/metrics', {}],
      ['/', {}],
      ['/-/healthy', {}],
      ['/-/ready', {}],
    ] as const) {
      const r = await get(urlPath, credentials);
      assert.equal(r.status, 401, `${urlPath} ${JSON.stringify(credentials)}`);
      assert.equal(r.headers['www-authenticate'], 'Basic');
      assert.equal(r.headers['x-frame-options'], 'deny', 'headers on refusals too');
      assert.doesNotMatch(r.body, /openstack_/);
    }
  });

  test('a client without a certificate is refused (RequireAndVerifyClientCert)', async () => {
    await assert.rejects(get('/-/healthy', { user: USER, password: PASSWORD, cert: undefined, key: undefined }), (err: Error) => {
      // TLS 1.3 sends the alert after the client's side of the handshake, on the first read.
      assert.equal((err as NodeJS.ErrnoException).code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
      return true;
    });
  });

  test('a client certificate from another CA is refused', async () => {
    const other = await createTestPki();
    try {
      const cert = await readFile(other.client.cert, 'utf8');
      const key = await readFile(other.client.key, 'utf8');
      await assert.rejects(
        get('/-/healthy', { user: USER, password: PASSWORD, cert, key }),
        /alert unknown ca|alert bad certificate|socket hang up|ECONNRESET/,
      );
    } finally {
      await other.remove();
    }
  });

  test('TLS below min_version is refused', async () => {
    await assert.rejects(get('/-/healthy', { user: USER, password: PASSWORD, maxVersion: 'TLSv1.2' }), (err: Error) => {
      assert.match(err.message, /alert protocol version/);
      return true;
    });
    assert.equal((await get('/-/healthy', { user: USER, password: PASSWORD })).status, 200, 'TLS 1.3 still works');
  });

  test('plain HTTP on the TLS port gets no metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${exporter.exporter.port}/metrics`).then(
      (r) => r.text(),
      () => 'refused',
    );
    assert.doesNotMatch(res, /openstack_/);
  });

  test('a rotated certificate is served on the next connection, without a restart', async () => {
    assert.equal((await get('/-/healthy', { user: USER, password: PASSWORD })).serverCn, 'exporter-1');
    const next = await pki.issueServer('server-2', 'exporter-2');
    // As a Kubernetes Secret or cert-manager replaces them: new files renamed over the old.
    await rename(next.key, path.join(pki.dir, 'server.key'));
    await rename(next.cert, path.join(pki.dir, 'server.crt'));
    const r = await get('/-/healthy', { user: USER, password: PASSWORD });
    assert.equal(r.status, 200);
    assert.equal(r.serverCn, 'exporter-2');
  });

  test('a real Prometheus scrapes it with basic_auth and tls_config', async () => {
    let prometheus: RunningPrometheus | undefined;
    try {
      prometheus = await startPrometheus({
        target: `127.0.0.1:${exporter.exporter.port}`,
        scrape: {
          scheme: 'https',
          basic_auth: { username: USER, password: PASSWORD },
          tls_config: { ca_file: pki.caCert, cert_file: pki.client.cert, key_file: pki.client.key },
        },
      });
      const running = prometheus;
      await eventually(
        async () => {
          const r = await running.query('openstack_notification_exporter_build_info');
          assert.equal(r.status, 'success');
          assert.ok(Array.isArray(r.data?.result) && r.data.result.length === 1, JSON.stringify(r.data));
          const up = await running.query('up');
          assert.deepEqual(
            (up.data?.result as { value: [number, string] }[]).map((s) => s.value[1]),
            ['1'],
          );
        },
        30_000,
        250,
      );
    } finally {
      await prometheus?.stop();
    }
  });

  test('the password and its hash appear in no log and no page', async () => {
    const pages = await Promise.all(
      ['/', '/metrics', '/-/healthy', '/-/ready', '/api/summary'].map((p) => get(p, { user: USER, password: PASSWORD })),
    );
    const seen = [...exporter.logs, ...pages.map((p) => p.body)].join('\n');
    assert.ok(pages[0]?.body.includes('web.config.file'), 'the landing page lists the setting');
    assert.ok(!seen.includes(PASSWORD), 'password shown');
    assert.ok(!seen.includes(hash), 'hash shown');
    assert.ok(!seen.includes(hash.slice(7)), 'part of the hash shown');
    assert.match(exporter.logs.join(''), /"msg":"listening"/);
    assert.match(exporter.logs.join(''), /"msg":"web config reloaded"/, 'the rotation was logged');
  });
});
