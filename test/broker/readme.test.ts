import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli, startCli } from '../support/cli.js';
import { BROKER_SAMPLES, readDoc, sample } from '../support/readme.js';
import { createVhost } from '../support/vhost.js';
import { TEST_AMQP_HOST } from '../support/target.js';

/**
 * The README's simulate, tail and check sessions, run as shown (plus --amqp.url, for a vhost
 * of the test's own, which the output then names: it reads as the default "/" here) and
 * compared with what the README shows. Only what depends on timing is set aside: how long
 * simulate took, and tail's time column.
 */

const README = readDoc('README.md');
const [SIMULATE, TAIL, CHECK] = BROKER_SAMPLES.map((command) => sample(README, command));

// The README shows the default broker: the test broker (TEST_RABBITMQ=4 moves it) reads as that.
const asDefaultVhost = (text: string, vhost: string): string =>
  text
    .replaceAll(TEST_AMQP_HOST, '127.0.0.1:5672')
    .replaceAll(`127.0.0.1:5672/${encodeURIComponent(vhost)}`, '127.0.0.1:5672/')
    .replaceAll(`vhost "${vhost}"`, 'vhost "/"');
const untimed = (text: string): string =>
  text
    .replace(/ in \d+(\.\d+)? s \(\d+\/s\)$/m, ' in <time>')
    .replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /gm, '<time> ')
    .replace(/\n$/, '');

describe("the README's sessions against a broker", () => {
  test('simulate prints the summary shown for its default seed, and tail started before it the errors shown', async () => {
    const vhost = await createVhost();
    try {
      const url = ['--amqp.url', vhost.url];
      const tail = startCli([...(TAIL?.args ?? []), ...url]);
      await tail.waitFor('stderr', /tailing notifications/);
      const simulate = await runCli([...(SIMULATE?.args ?? []), ...url]);
      assert.equal(simulate.code, 0, simulate.stderr);
      assert.equal(await tail.exited, 0, tail.stderr());
      assert.equal(untimed(asDefaultVhost(simulate.stdout, vhost.name)), untimed(SIMULATE?.output ?? ''));
      assert.equal(untimed(tail.stdout()), untimed(TAIL?.output ?? ''));
    } finally {
      await vhost.remove();
    }
  });

  test('check prints the verdicts shown, on a broker where nothing was declared yet', async () => {
    const vhost = await createVhost();
    try {
      const r = await runCli([...(CHECK?.args ?? []), '--amqp.url', vhost.url]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(asDefaultVhost(r.stdout, vhost.name).replace(/\n$/, ''), CHECK?.output);
    } finally {
      await vhost.remove();
    }
  });
});
