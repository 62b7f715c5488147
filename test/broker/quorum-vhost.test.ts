import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { eventually, runExporter } from '../support/exporter.js';
import { ownRabbitmq4Node } from '../support/rabbitmq4.js';

/**
 * A kolla-style RabbitMQ 4 broker: the vhost's default queue type is quorum, so the queue
 * serve declares without x-queue-type (its classic default) is a quorum queue. That is what
 * serve asked for, not a clash: check passes it and the landing page shows the real type.
 * On a RabbitMQ 4 node of the test's own, since the host's 3.10 has no vhost default queue type.
 */
describe('a vhost whose default queue type is quorum (RabbitMQ 4)', () => {
  const own = ownRabbitmq4Node();

  test('serve gets a quorum queue and says so; check finds nothing to fix', async () => {
    const { node } = own;
    await node.ctl('add_vhost', 'kolla', '--default-queue-type', 'quorum');
    await node.ctl('set_permissions', '-p', 'kolla', 'guest', '.*', '.*', '.*');
    const url = node.url('kolla');
    const exporter = await runExporter({ 'amqp.url': url, 'amqp.declare-exchange': 'durable' });
    try {
      await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
      const queues = JSON.parse(await node.ctl('list_queues', '-p', 'kolla', '--formatter', 'json', 'name', 'type')) as {
        name: string;
        type: string;
      }[];
      assert.deepEqual(
        queues.find((q) => q.name === 'openstack-notification-exporter'),
        { name: 'openstack-notification-exporter', type: 'quorum' },
      );
      assert.match(await (await exporter.get('/')).text(), /type <span id="queue-type">quorum<\/span>/);

      const r = await runCli(['check', '--amqp.url', url, '--check.wait-seconds', '0', '--management.url', node.managementUrl ?? '']);
      assert.deepEqual(
        r.stdout.split('\n').filter((l) => l.startsWith('FAIL')),
        [],
        r.stdout,
      );
      assert.ok(!r.stdout.includes('delete_queue'), r.stdout);
      assert.match(
        r.stdout,
        /^ok {4}queue openstack-notification-exporter exists: \d+ messages? ready, 1 consumer; quorum, the vhost's default queue type$/m,
      );
      assert.equal(r.code, 0, r.stdout);
    } finally {
      await exporter.stop();
    }
  });
});
