import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestBroker } from '../support/broker.js';
import { eventually, runExporter } from '../support/exporter.js';
import { valueOf } from '../support/metrics-text.js';
import { createVhost, listQueues } from '../support/vhost.js';

test('a notification crafted to backtrack the error classifier is counted once and acked, never redelivered', async () => {
  const vhost = await createVhost();
  const broker = await TestBroker.open(vhost.url);
  const exporter = await runExporter({ 'amqp.url': vhost.url, 'amqp.queue': 'q-hostile' });
  try {
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
    // 240 spaces took the old regex 4 s, 280 took 12; this many would have held the event loop
    // past the heartbeat, the broker would have dropped the link and redelivered it, for ever.
    broker.publishOslo('nova', {
      message_id: 'hostile-1',
      event_type: 'compute.instance.create.error',
      priority: 'ERROR',
      publisher_id: 'compute.cmp-hostile',
      payload: { instance_id: 'i-1', state: 'error', message: `Instance in${' '.repeat(100_000)}x`, code: 500 },
    });
    broker.publishOslo('nova', { event_type: 'compute.instance.update', priority: 'INFO', publisher_id: 'compute.sentinel', payload: {} });

    const s = await eventually(async () => {
      const scraped = await exporter.scrape();
      assert.equal(valueOf(scraped, 'openstack_notifications_total', { host: 'sentinel' }), 1);
      return scraped;
    }, 30_000);
    assert.equal(valueOf(s, 'openstack_notifications_total', { host: 'cmp-hostile' }), 1);
    assert.equal(valueOf(s, 'openstack_instance_errors_total', { exception: 'unknown', host: 'cmp-hostile' }), 1);
    assert.equal(valueOf(s, 'openstack_notification_exporter_messages_received_total'), 2, 'delivered once each');
    // rabbitmqctl's `messages` counts ready and unacked ones: 0 once both deliveries are acked.
    await eventually(async () => {
      const queue = (await listQueues(vhost.name)).find((q) => q['name'] === 'q-hostile');
      assert.equal(queue?.['messages'], 0, 'acked, not requeued');
    }, 30_000);
    assert.equal(valueOf(await exporter.scrape(), 'openstack_notification_exporter_messages_received_total'), 2, 'no redelivery');
  } finally {
    await exporter.stop();
    await broker.close();
    await vhost.remove();
  }
});
