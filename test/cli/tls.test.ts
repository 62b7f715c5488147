import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { runCli, startCli } from '../support/cli.js';

/** A plain AMQP port as RabbitMQ runs one: to anything that is not AMQP 0-9-1 it answers its protocol header and closes. */
let plain: Server;
let port: number;

before(async () => {
  plain = createServer((socket) => {
    socket.once('data', () => socket.end(Buffer.from('AMQP\x00\x00\x09\x01', 'latin1')));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  port = (plain.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => plain.close(() => resolve())));

/** serve's first connection error line, then a clean stop; with everything it wrote. */
async function firstError(url: string): Promise<{ msg: string; stdout: string; stderr: string }> {
  const run = startCli(['serve', '--amqp.url', url, '--web.listen-address', '127.0.0.1:0']);
  try {
    const out = await run.waitFor('stdout', /"level":"error"/);
    const line = out.split('\n').find((l) => l.includes('"level":"error"')) ?? '';
    return { msg: JSON.parse(line).msg as string, stdout: out, stderr: run.stderr() };
  } finally {
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
  }
}

function onlyJsonLines(text: string): void {
  for (const line of text.split('\n').filter((l) => l !== '')) assert.doesNotThrow(() => JSON.parse(line), line);
}

test('amqps:// against a plain AMQP port: one line naming the likely cause, nothing else on stderr', async () => {
  const { msg, stdout, stderr } = await firstError(`amqps://guest:guest@127.0.0.1:${port}/`);
  assert.equal(msg, `127.0.0.1:${port} did not answer with TLS: the TLS port is usually 5671`);
  onlyJsonLines(stdout);
  // Node's DEP0123 (SNI given an IP address) used to land here.
  assert.equal(stderr, '');
});

test('every host of the URL failing: the line names each host with its own reason', async () => {
  const { msg, stderr } = await firstError(`amqps://guest:guest@127.0.0.1:${port},guest:guest@127.0.0.1:1/`);
  assert.equal(
    msg,
    `all 2 broker hosts failed: 127.0.0.1:${port} did not answer with TLS: the TLS port is usually 5671; nothing listens on 127.0.0.1:1 (is RabbitMQ running?)`,
  );
  assert.equal(stderr, '');
});

test('check says the same about TLS, with a hint about the scheme and port, not the password', async () => {
  const r = await runCli(['check', '--amqp.url', `amqps://guest:guest@127.0.0.1:${port}/`]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stdout.split('\n')[0],
    `FAIL  cannot use the broker amqps://guest:***@127.0.0.1:${port}/: 127.0.0.1:${port} did not answer with TLS: the TLS port is usually 5671 (hint: use the scheme, port and CA of Nova's transport_url (rabbit://...?ssl=1 is amqps://, usually on port 5671))`,
  );
  assert.equal(r.stderr, '');
});
