import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SPLIT_WARNING } from '../../src/amqp/queue-sharing.js';
import { uniqueName } from '../support/broker.js';
import { runCli } from '../support/cli.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { valueOf } from '../support/metrics-text.js';
import { suiteVhost } from '../support/vhost.js';

// A second exporter started on the same queue without --ha takes half the messages: both say
// so in their log, their metrics and their landing page, and `check` says so too.

const COMPETING = 'openstack_notification_exporter_queue_competing_consumers';
// The running exporter notices a newcomer at its next periodic look (every 15 s).
const NOTICE_MS = 40_000;

describe('two exporters on one queue without --ha', () => {
  const suite = suiteVhost();

  const warned = (e: RunningExporter): boolean => e.logs.some((l) => l.includes(SPLIT_WARNING));

  test('each warns that counts are split, in its log, metric and landing page; check warns too', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = uniqueName('osne-q');
    const flags = { 'amqp.url': suite.vhost.url, 'amqp.exchange': [exchange], 'amqp.queue': queue };
    const first = await runExporter(flags);
    let second: RunningExporter | undefined;
    try {
      await eventually(async () => assert.equal((await first.get('/-/ready')).status, 200));
      assert.equal(valueOf(await first.scrape(), COMPETING), 0);
      assert.ok(!warned(first));

      second = await runExporter(flags);
      const other = second;
      // The newcomer sees the first one as soon as it consumes; the first one at its next look.
      await eventually(() => assert.ok(warned(other), 'the second exporter warns'), NOTICE_MS);
      await eventually(() => assert.ok(warned(first), 'the first exporter warns'), NOTICE_MS);
      for (const e of [first, other]) {
        assert.equal(valueOf(await e.scrape(), COMPETING), 1);
        assert.match(await (await e.get('/')).text(), new RegExp(`id="broker-warning">${SPLIT_WARNING} \\(2 consumers\\)<`));
      }
      const line = JSON.parse(first.logs.find((l) => l.includes(SPLIT_WARNING)) ?? '{}') as Record<string, unknown>;
      assert.equal(line['level'], 'warn');
      assert.equal(line['queue'], queue);
      assert.equal(line['consumers'], 2);

      const r = await runCli([
        'check',
        '--amqp.url',
        suite.vhost.url,
        '--amqp.exchange',
        exchange,
        '--amqp.queue',
        queue,
        '--check.wait-seconds',
        '0',
      ]);
      assert.match(r.stdout, new RegExp(`^warn  queue ${queue} has 2 consumers: ${SPLIT_WARNING} \\(hint: `, 'm'));

      await other.stop();
      second = undefined;
      await eventually(() => assert.ok(first.logs.some((l) => l.includes('no other consumer on this queue any more'))), NOTICE_MS);
      assert.equal(valueOf(await first.scrape(), COMPETING), 0);
      assert.doesNotMatch(await (await first.get('/')).text(), /broker-warning/);
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
});
