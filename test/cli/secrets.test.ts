import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, startCli } from '../support/cli.js';

test('serve masks the password only: a password that is a word of its own log lines leaves them readable', async () => {
  // Port 1: nothing listens, so serve logs "nothing listens on 127.0.0.1:1 (is RabbitMQ running?)" and retries.
  const run = startCli(['serve', '--amqp.url', 'amqp://RabbitMQ:RabbitMQ@127.0.0.1:1/listens', '--web.listen-address', '127.0.0.1:0']);
  try {
    const out = await run.waitFor('stdout', /"level":"error"/);
    const line = out.split('\n').find((l) => l.includes('"level":"error"')) ?? '';
    assert.equal(JSON.parse(line).msg, 'nothing listens on 127.0.0.1:1 (is RabbitMQ running?)');
    assert.ok(!out.includes('***'), out);
  } finally {
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
  }
});

test('no part of a password with an unencoded ? , # / or @ reaches the error line of a bad --amqp.url', async () => {
  // Each URL is refused (the ',' splits the host list; the others reach the bad port): the
  // line names the flag and the fault, never a piece of the password around the character.
  for (const mark of ['?', ',', '#', '/', '@']) {
    const url = `amqp://nova:Xq7${mark}Zr9@ctl1:99999/nova`;
    const { code, stdout, stderr } = await runCli(['check', '--amqp.url', url]);
    assert.equal(code, 2, `${mark}: ${stderr}`);
    assert.match(stderr, /^openstack-notification-exporter: invalid --amqp\.url: [^\n]+\n$/, mark);
    for (const part of ['Xq7', 'Zr9']) assert.ok(!(stdout + stderr).includes(part), `${mark}: ${stderr}`);
  }
});
