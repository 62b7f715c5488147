import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCli } from '../support/cli.js';

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
