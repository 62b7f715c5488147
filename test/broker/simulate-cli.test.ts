import assert from 'node:assert/strict';
import { TEST_AMQP_HOST } from '../support/target.js';
import { describe, test } from 'node:test';
import { uniqueName } from '../support/broker.js';
import { runCli, startCli } from '../support/cli.js';
import { eventually } from '../support/exporter.js';
import { suiteVhost } from '../support/vhost.js';

describe('simulate (the CLI)', () => {
  const suite = suiteVhost();

  test('publishes exactly --simulate.count notifications to the first --amqp.exchange and sums them up', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = await suite.broker.queue(uniqueName('sim-q'), { exchange, key: 'notifications.*' });
    const r = await runCli([
      'simulate',
      '--amqp.url',
      suite.vhost.url,
      '--amqp.exchange',
      exchange,
      '--amqp.exchange',
      'other',
      '--simulate.count',
      '200',
      '--simulate.rate',
      '0',
      '--simulate.seed',
      '1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(async () => assert.equal(await suite.broker.messageCount(queue), 200));
    assert.match(
      r.stdout,
      new RegExp(
        `^sent 200 notifications to exchange ${exchange} on amqp://guest:\\*\\*\\*@${TEST_AMQP_HOST.replaceAll('.', '\\.')}/${suite.vhost.name} in `,
        'm',
      ),
    );
    const byPriority = /^by priority: (.*)$/m.exec(r.stdout)?.[1] ?? '';
    const total = [...byPriority.matchAll(/[A-Z]+ (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    assert.equal(total, 200, byPriority);
    // Not a terminal: no progress bar.
    assert.equal(r.stderr, '');
  });

  test('sends versioned notifications with --nova.notification-format versioned', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = await suite.broker.queue(uniqueName('sim-q'), { exchange, key: 'versioned_notifications.*' });
    const r = await runCli([
      'simulate',
      '--amqp.url',
      suite.vhost.url,
      '--amqp.exchange',
      exchange,
      '--nova.notification-format',
      'versioned',
      '--simulate.count',
      '20',
      '--simulate.rate',
      '0',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(async () => assert.equal(await suite.broker.messageCount(queue), 20));
    assert.match(r.stdout, /^by routing key: versioned_notifications\.\w+ \d+/m);
  });

  test('without count or duration it runs until Ctrl-C, then confirms and sums up what it sent', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = await suite.broker.queue(uniqueName('sim-q'), { exchange, key: 'notifications.*' });
    const run = startCli([
      'simulate',
      '--amqp.url',
      suite.vhost.url,
      '--amqp.exchange',
      exchange,
      '--simulate.count',
      '0',
      '--simulate.rate',
      '200',
    ]);
    await eventually(async () => assert.ok((await suite.broker.messageCount(queue)) > 0));
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0, run.stderr());
    const sent = Number(/^sent (\d+) notifications/m.exec(run.stdout())?.[1]);
    await eventually(async () => assert.equal(await suite.broker.messageCount(queue), sent));
  });
});
