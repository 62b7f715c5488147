import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { osloEnvelope } from '../support/broker.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { parseMetrics, valueOf } from '../support/metrics-text.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createVhost, listQueues } from '../support/vhost.js';

const TOTAL = 10_000;
const BATCH = 2_000;

const EVENT_TYPE = 'compute.instance.update';
const SENTINEL = { event_type: 'test.sentinel', priority: 'INFO', publisher_id: 'compute.h1', payload: {} };

async function countedBy(exporter: RunningExporter, eventType = EVENT_TYPE): Promise<number> {
  return valueOf(parseMetrics(await exporter.exporter.registry.metrics()), 'openstack_notifications_total', { event_type: eventType });
}

/**
 * Nothing lost, nothing counted twice: the counters, summed over the exporter's restarts,
 * equal what was published, although connections were cut while messages were in flight.
 */
describe('exactly-once counting across cuts and a restart', () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let proxy: TcpProxy;

  before(async () => {
    vhost = await createVhost();
    proxy = await TcpProxy.start();
  });
  after(async () => {
    await proxy?.close();
    await vhost?.remove();
  });

  test(`${TOTAL} notifications, three cuts and one restart, counted exactly once`, async (t) => {
    const flags = {
      'amqp.url': `amqp://guest:guest@127.0.0.1:${proxy.port}/${vhost.name}`,
      'amqp.queue': 'q-exact',
      'amqp.prefetch': '200',
      'amqp.reconnect-max-delay-seconds': '1',
    };
    const publisher = await amqp.connect(vhost.url);
    const ch = await publisher.createConfirmChannel();
    const publishBatch = async () => {
      for (let i = 0; i < BATCH; i++) {
        const inner = {
          message_id: randomUUID(),
          event_type: EVENT_TYPE,
          priority: 'INFO',
          publisher_id: 'compute.h1',
          payload: { i },
        };
        if (!ch.publish('nova', 'notifications.info', osloEnvelope(inner), { deliveryMode: 2 })) {
          await new Promise((r) => ch.once('drain', r));
        }
      }
      await ch.waitForConfirms();
    };

    let first: RunningExporter | undefined = await runExporter(flags);
    let second: RunningExporter | undefined;
    try {
      await eventually(async () => assert.equal((await first!.get('/-/ready')).status, 200));
      await publishBatch();
      proxy.cutAll(); // mid-drain: delivered but unacked messages come back and must not count twice
      await publishBatch();
      proxy.resetAll();
      await publishBatch();
      await eventually(async () => assert.ok((await countedBy(first!)) >= BATCH * 2), 30_000);

      await first.stop(); // graceful: acks what it counted, the rest goes back to the queue
      const byFirst = await countedBy(first);
      const dropped = valueOf(
        parseMetrics(await first.exporter.registry.metrics()),
        'openstack_notification_exporter_messages_dropped_total',
        { reason: 'duplicate' },
      );
      first = undefined;

      second = await runExporter(flags);
      await publishBatch();
      proxy.cutAll();
      await publishBatch();
      await eventually(async () => assert.equal(byFirst + (await countedBy(second!)), TOTAL), 60_000);
      const queue = (await listQueues(vhost.name)).find((q) => q['name'] === 'q-exact');
      assert.equal(queue?.['messages'], 0, 'nothing left behind');
      // A sentinel behind everything: once it is counted, any redelivery queued ahead of it
      // has been counted too, so the total must not have moved past TOTAL.
      ch.publish('nova', 'notifications.info', osloEnvelope({ ...SENTINEL, message_id: randomUUID() }), { deliveryMode: 2 });
      await ch.waitForConfirms();
      await eventually(async () => assert.equal(await countedBy(second!, SENTINEL.event_type), 1), 30_000);
      assert.equal(byFirst + (await countedBy(second)), TOTAL);
      t.diagnostic(`redeliveries recognised by message_id: ${dropped}; counted before the restart: ${byFirst}`);
    } finally {
      await first?.stop();
      await second?.stop();
      await publisher.close();
    }
  });
});
