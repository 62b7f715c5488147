import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli, startCli } from '../support/cli.js';
import { freePort } from '../support/ports.js';

// Port 1: nothing listens, so serve only retries the broker; the HTTP side is what is tested.
const NO_BROKER = { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1/' };

describe('--web.listen-address, repeatable as in exporter-toolkit', () => {
  for (const [how, args, env] of [
    ['given twice on the command line', (a: string, b: string) => ['--web.listen-address', a, '--web.listen-address', b], () => ({})],
    ['as a comma-separated WEB_LISTEN_ADDRESS', () => [], (a: string, b: string) => ({ WEB_LISTEN_ADDRESS: `${a},${b}` })],
  ] as const) {
    test(`serves on IPv4 and IPv6 addresses at once, ${how}`, async () => {
      const [p4, p6] = [await freePort(), await freePort()];
      const [a, b] = [`127.0.0.1:${p4}`, `[::1]:${p6}`];
      const run = startCli(['serve', ...args(a, b)], { ...NO_BROKER, ...env(a, b) });
      try {
        const out = await run.waitFor('stdout', /"msg":"listening".*\n(.*\n)*.*"msg":"listening"/);
        assert.match(out, new RegExp(`"address":"127\\.0\\.0\\.1:${p4}","tls":false`));
        assert.match(out, new RegExp(`"address":"\\[::1\\]:${p6}","tls":false`));
        for (const url of [`http://127.0.0.1:${p4}/-/healthy`, `http://[::1]:${p6}/-/healthy`]) {
          const res = await fetch(url);
          assert.equal(res.status, 200, url);
          assert.equal(await res.text(), 'Healthy\n');
        }
        run.child.kill('SIGTERM');
        assert.equal(await run.exited, 0);
      } finally {
        run.child.kill('SIGKILL');
      }
    });
  }

  test('a busy address stops start-up with one line naming it (exit 2)', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const free = await freePort();
      const r = await runCli(
        ['serve', '--web.listen-address', `127.0.0.1:${free}`, '--web.listen-address', `127.0.0.1:${port}`],
        NO_BROKER,
      );
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `openstack-notification-exporter: --web.listen-address: 127.0.0.1:${port} is already in use\n`);
    } finally {
      busy.close();
    }
  });

  test('a bad web config file stops start-up with one line (exit 2)', async () => {
    const file = path.join(new URL('../fixtures/web-config/', import.meta.url).pathname, 'unknown-key.bad.yml');
    const r = await runCli(['serve', '--web.config.file', file], NO_BROKER);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `openstack-notification-exporter: invalid --web.config.file: "${file}" line 3: unknown key tls_server_config.cert_filse\n`,
    );
  });
});
