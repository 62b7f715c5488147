import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import express from 'express';
import { PLAIN_HTTP_ANSWER, SERVER_TIMEOUTS } from '../../src/http/bounds.js';
import { serveHttp, type Serving } from '../../src/http/listeners.js';
import { createLogger } from '../../src/log.js';

/**
 * The HTTP server's own bounds, below any endpoint: requests in progress, slow and silent
 * clients, plain HTTP on the TLS port. No broker: a small app stands in for the exporter's.
 */

const log = createLogger({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
const FIXTURES = new URL('../fixtures/web-config/', import.meta.url).pathname;

/** An app whose /hold requests wait until released; /quick answers at once. */
function holdingApp(): { app: express.Express; held: () => number; release: () => void } {
  const waiting: (() => void)[] = [];
  const app = express();
  app.get('/hold', (_req, res) => void waiting.push(() => res.send('released\n')));
  app.get('/quick', (_req, res) => void res.send('quick\n'));
  return { app, held: () => waiting.length, release: () => waiting.splice(0).forEach((f) => f()) };
}

const LOCAL = [{ host: '127.0.0.1', port: 0 }];

/** Resolves when the server closes the socket, with how long that took. */
function closedAfter(socket: Socket): Promise<number> {
  const t = Date.now();
  // Writes after the server's close fail; only the close matters here.
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now() - t)));
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

describe('HTTP server bounds', () => {
  const servings: Serving[] = [];
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(servings.map((s) => s.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const serve = async (app: express.Express, options: { maxRequests?: number; webConfigFile?: string } = {}): Promise<Serving> => {
    const s = await serveHttp(app, { addresses: LOCAL, webConfigFile: options.webConfigFile, maxRequests: options.maxRequests ?? 40, log });
    servings.push(s);
    return s;
  };
  const tlsConfig = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'osne-bounds-'));
    dirs.push(dir);
    const file = path.join(dir, 'web.yml');
    writeFileSync(file, `tls_server_config:\n  cert_file: ${FIXTURES}server.crt\n  key_file: ${FIXTURES}server.key\n`);
    return file;
  };

  test('--web.max-requests: past the limit, 503 at once; below it again, served', async () => {
    const { app, held, release } = holdingApp();
    const s = await serve(app, { maxRequests: 3 });
    const base = `http://127.0.0.1:${s.port}`;
    const holding = [1, 2, 3].map(() => fetch(`${base}/hold`));
    await waitUntil(() => held() === 3);
    const refused = await fetch(`${base}/quick`);
    assert.equal(refused.status, 503);
    assert.equal(await refused.text(), 'Limit of concurrent requests reached (3), try again later.\n');
    release();
    for (const r of await Promise.all(holding)) assert.equal(r.status, 200);
    assert.equal((await fetch(`${base}/quick`)).status, 200);
  });

  test('--web.max-requests 0: no limit', async () => {
    const { app, held, release } = holdingApp();
    const s = await serve(app, { maxRequests: 0 });
    const holding = Array.from({ length: 50 }, () => fetch(`http://127.0.0.1:${s.port}/hold`));
    await waitUntil(() => held() === 50);
    release();
    for (const r of await Promise.all(holding)) assert.equal(r.status, 200);
  });

  test('300 slow-header clients and 100 silent TLS clients are cut off after the timeouts; a scrape gets through meanwhile', async () => {
    const plain = await serve(holdingApp().app);
    const tls = await serve(holdingApp().app, { webConfigFile: tlsConfig() });
    // Slowloris: a request line, then one header byte every second, never the end of the headers.
    const slow = Array.from({ length: 300 }, () => {
      const socket = connect(plain.port, '127.0.0.1');
      socket.write('GET /quick HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => socket.write('X'), 1000);
      return closedAfter(socket).finally(() => clearInterval(drip));
    });
    // Connected, then nothing: no TLS handshake ever starts.
    const silent = Array.from({ length: 100 }, () => closedAfter(connect(tls.port, '127.0.0.1')));
    const scrape = await fetch(`http://127.0.0.1:${plain.port}/quick`);
    assert.equal(await scrape.text(), 'quick\n');
    const slowMs = Math.max(...(await Promise.all(slow)));
    const silentMs = Math.max(...(await Promise.all(silent)));
    // Node's defaults would hold them 60 s (slow headers, checked every 30 s) and 120 s (handshake).
    assert.ok(slowMs < SERVER_TIMEOUTS.headersMs + 5_000, `slow-header clients held ${slowMs} ms`);
    assert.ok(silentMs < SERVER_TIMEOUTS.handshakeMs + 5_000, `silent clients held ${silentMs} ms`);
  });

  test('plain HTTP to the TLS listener gets a 400 saying so, as Go answers; TLS still works', async () => {
    const s = await serve(holdingApp().app, { webConfigFile: tlsConfig() });
    const socket = connect(s.port, '127.0.0.1');
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    await once(socket, 'close');
    assert.equal(answer, PLAIN_HTTP_ANSWER);
    assert.match(answer, /^HTTP\/1\.0 400 Bad Request\r\n[\s\S]*\r\n\r\nClient sent an HTTP request to an HTTPS server\.\n$/);
    const viaFetch = await fetch(`http://127.0.0.1:${s.port}/quick`);
    assert.equal(viaFetch.status, 400);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: s.port, path: '/quick', rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, 'quick\n');
  });
});
