import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startCli } from '../support/cli.js';
import { eventually, runExporter } from '../support/exporter.js';
import { valueOf } from '../support/metrics-text.js';
import { osloNotify } from '../support/oslo.js';
import { TEST_OSLO_DURABLE } from '../support/target.js';
import { createVhost, listExchanges, type Vhost } from '../support/vhost.js';

/**
 * The exporter started before the service has sent anything must never make the service's
 * own declaration of its exchange fail. With amqp_durable_queues = True oslo declares the
 * exchange durable: one declared transient first (as the exporter used to) fails every
 * notification with 406 PRECONDITION_FAILED. The real oslo Notifier plays Nova here.
 */
describe('the service declares its exchange after the exporter started', () => {
  const osloUrl = (vhost: Vhost, query: string): string => `${vhost.url.replace('amqp:', 'rabbit:')}${query}`;
  // A vhost per test: oslo's notifications.info queue takes each publisher's durability and type.
  const inVhost = async (work: (vhost: Vhost) => Promise<void>): Promise<void> => {
    const vhost = await createVhost();
    try {
      await work(vhost);
    } finally {
      await vhost.remove();
    }
  };
  const send = (vhost: Vhost, exchange: string, query: string, eventType: string, times = 1) =>
    osloNotify({
      url: osloUrl(vhost, query),
      exchange,
      driver: 'messagingv2',
      publisher_id: 'compute.cmp-1',
      topics: ['notifications'],
      context: {},
      // A refused send is logged and dropped at once, not retried forever: the counts tell.
      retry: 0,
      notifications: Array.from({ length: times }, () => ({ priority: 'info', event_type: eventType, payload: {} })),
    });

  // RabbitMQ 4 denies oslo's transient queues (transient_nonexcl_queues): only durable or
  // quorum publishers work there, which is why every RabbitMQ 4 deployment is durable.
  const publishers = [
    { name: 'amqp_durable_queues = True', query: '?amqp_durable_queues=true', durable: true },
    { name: 'rabbit_quorum_queue = True', query: '?rabbit_quorum_queue=true', durable: true },
    ...(TEST_OSLO_DURABLE ? [] : [{ name: "oslo's defaults (transient)", query: '', durable: false }]),
  ];

  for (const publisher of publishers) {
    test(`${publisher.name}: the exporter waits, not ready, then binds and counts what Nova sends`, () =>
      inVhost(async (vhost) => {
        const exchange = 'nova';
        const exporter = await runExporter({ 'amqp.url': vhost.url, 'amqp.declare-exchange': 'wait' });
        try {
          await eventually(async () => {
            const ready = await exporter.get('/-/ready');
            assert.equal(ready.status, 503);
            assert.match(
              await ready.text(),
              new RegExp(`^Not ready: exchange ${exchange} does not exist yet: waiting for nova to declare it`),
            );
          });
          assert.equal(valueOf(await exporter.scrape(), 'openstack_notification_exporter_exchange_bound', { exchange }), 0);
          assert.ok(!(await listExchanges(vhost.name)).some((x) => x.name === exchange), 'the exporter declared nothing');

          // Nova's first notification declares the exchange as its settings say.
          await send(vhost, exchange, publisher.query, 'compute.instance.exists');
          assert.deepEqual(
            (await listExchanges(vhost.name)).find((x) => x.name === exchange),
            { name: exchange, type: 'topic', durable: publisher.durable },
          );
          await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
          assert.equal(valueOf(await exporter.scrape(), 'openstack_notification_exporter_exchange_bound', { exchange }), 1);
          await send(vhost, exchange, publisher.query, 'compute.instance.update', 3);
          await eventually(async () =>
            assert.equal(valueOf(await exporter.scrape(), 'openstack_notifications_total', { event_type: 'compute.instance.update' }), 3),
          );
          assert.ok(
            exporter.logs.some((l) => l.includes(`exchange ${exchange} appeared: bound the queue to it`)),
            'says when it bound',
          );
        } finally {
          await exporter.stop();
        }
      }));
  }

  test("with --nova.config-file saying amqp_durable_queues = True, the exporter declares it durable at once and Nova's sends work", () =>
    inVhost(async (vhost) => {
      const exchange = 'nova';
      const dir = mkdtempSync(join(tmpdir(), 'osne-nova-conf-'));
      const conf = join(dir, 'nova.conf');
      writeFileSync(
        conf,
        `[DEFAULT]\ntransport_url = ${osloUrl(vhost, '')}\n\n[oslo_messaging_notifications]\ndriver = messagingv2\n\n` +
          '[oslo_messaging_rabbit]\namqp_durable_queues = True\n',
      );
      const exporter = await runExporter({ 'nova.config-file': conf });
      try {
        await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
        assert.deepEqual(
          (await listExchanges(vhost.name)).find((x) => x.name === exchange),
          { name: exchange, type: 'topic', durable: true },
        );
        await send(vhost, exchange, '?amqp_durable_queues=true', 'compute.instance.update', 2);
        await eventually(async () => assert.equal(valueOf(await exporter.scrape(), 'openstack_notifications_total'), 2));
      } finally {
        await exporter.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  test('tail waits for the exchange too, and prints what Nova sends once it exists', () =>
    inVhost(async (vhost) => {
      const exchange = 'nova';
      const run = startCli(['tail', '--amqp.url', vhost.url, '--amqp.exchange', exchange, '--tail.count', '1']);
      await run.waitFor('stderr', new RegExp(`exchange ${exchange} does not exist yet: waiting for nova to declare it`));
      await send(vhost, exchange, '?amqp_durable_queues=true', 'compute.instance.exists');
      await run.waitFor('stderr', new RegExp(`exchange ${exchange} appeared`));
      await send(vhost, exchange, '?amqp_durable_queues=true', 'compute.instance.update');
      assert.equal(await run.exited, 0);
      assert.match(run.stdout(), /compute\.instance\.update/);
      assert.deepEqual(
        (await listExchanges(vhost.name)).find((x) => x.name === exchange),
        { name: exchange, type: 'topic', durable: true },
      );
    }));
});
