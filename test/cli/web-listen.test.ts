import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCli, startCli } from '../support/cli.js';
import { freePort } from '../support/ports.js';
import { REPO_ROOT } from '../support/queries.js';

const CLI = path.join(REPO_ROOT, 'src', 'cli.ts');

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

describe('--web.systemd-socket and --web.disable-exporter-metrics', () => {
  test('started as systemd starts a socket-activated service: serves on the inherited socket, without process_ metrics', async () => {
    const port = await freePort();
    // systemd's own tool: it holds the listening socket and, at the first connection, runs
    // the command with it as fd 3, LISTEN_FDS=1 and LISTEN_PID set, as systemd does.
    const child = spawn(
      'systemd-socket-activate',
      [
        '--listen',
        `127.0.0.1:${port}`,
        ...['PATH', 'HOME'].flatMap((k) => ['--setenv', `${k}=${process.env[k] ?? ''}`]),
        '--setenv',
        `AMQP_URL=${NO_BROKER.AMQP_URL}`,
        process.execPath,
        '--import',
        'tsx',
        CLI,
        'serve',
        '--web.systemd-socket',
        '--web.disable-exporter-metrics',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    const exited = once(child, 'exit');
    // The log line may reach this process after the answer does.
    const listening = new Promise<string>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/"msg":"listening"/.test(stdout)) resolve(stdout);
      }),
    );
    // systemd-socket-activate says when it holds the socket; a connection before that is refused.
    let stderr = '';
    const bound = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/Listening on/.test(stderr)) resolve();
      }),
    );
    try {
      await bound;
      // Sent before the exporter runs: the connection waits in the socket's backlog.
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /^openstack_notification_exporter_build_info\{/m);
      assert.doesNotMatch(text, /^(process|nodejs)_/m);
      assert.match(await listening, new RegExp(`"address":"127\\.0\\.0\\.1:${port}"`));
      child.kill('SIGTERM');
      assert.deepEqual(await exited, [0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('without a socket from systemd, one line and exit 2', async () => {
    const r = await runCli(['serve', '--web.systemd-socket'], NO_BROKER);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'openstack-notification-exporter: --web.systemd-socket: systemd passed no socket (LISTEN_FDS and LISTEN_PID unset or for another process)\n',
    );
  });

  test('the process_ and nodejs_ metrics are there by default', async () => {
    const port = await freePort();
    const run = startCli(['serve', '--web.listen-address', `127.0.0.1:${port}`], NO_BROKER);
    try {
      await run.waitFor('stdout', /"msg":"listening"/);
      assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^process_cpu_seconds_total /m);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
