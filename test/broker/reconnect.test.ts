import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TEST_AMQP_HOST } from '../support/target.js';
import { after, before, describe, test } from 'node:test';
import { TestBroker } from '../support/broker.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { parseMetrics, valueOf, type Sample } from '../support/metrics-text.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { ownNodes, type RabbitNode } from '../support/rabbit-nodes.js';
import { suiteVhost } from '../support/vhost.js';

// Each with its own message_id, as oslo sends them: a notification counted but not yet acked
// when a test cuts the link is delivered again, and the exporter must recognise it rather than
// the test depend on the ack having landed first.
const update = (host: string) => ({
  message_id: randomUUID(),
  event_type: 'compute.instance.update',
  priority: 'INFO',
  publisher_id: `compute.${host}`,
  payload: {},
});

async function counted(exporter: RunningExporter): Promise<number> {
  return valueOf(await exporter.scrape(), 'openstack_notifications_total');
}

async function waitReady(exporter: RunningExporter, status = 200): Promise<void> {
  await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, status), 30_000);
}

describe('broker faults', () => {
  const suite = suiteVhost();
  let proxy: TcpProxy;

  before(async () => {
    proxy = await TcpProxy.start();
  });
  after(async () => {
    await proxy?.close();
  });

  const viaProxy = () => `amqp://guest:guest@127.0.0.1:${proxy.port}/${suite.vhost.name}`;
  /** Publishes one notification and waits for the exporter's count to reach `total`: consuming works. */
  const publishAndCount = async (exporter: RunningExporter, host: string, total: number, broker: TestBroker = suite.broker) => {
    broker.publishOslo('nova', update(host));
    await eventually(async () => assert.equal(await counted(exporter), total));
  };
  const fastRetry = { 'amqp.reconnect-max-delay-seconds': '1', 'amqp.connect-timeout-seconds': '2' };

  test('a cut connection: not ready and disconnected meanwhile, then reconnected with counters kept', async () => {
    const exporter = await runExporter({ 'amqp.url': viaProxy(), 'amqp.queue': 'q-cut', ...fastRetry });
    try {
      await waitReady(exporter);
      for (let i = 0; i < 5; i++) suite.broker.publishOslo('nova', update('h1'));
      await eventually(async () => assert.equal(await counted(exporter), 5));

      proxy.stall(); // reconnect attempts hang until resumed, so the outage can be observed
      proxy.cutAll();
      await waitReady(exporter, 503);
      const during = await exporter.scrape();
      assert.equal(valueOf(during, 'openstack_notification_exporter_amqp_connected'), 0);
      assert.equal(valueOf(during, 'openstack_notifications_total'), 5, 'counters are not reset');

      proxy.resume();
      await waitReady(exporter);
      for (let i = 0; i < 5; i++) suite.broker.publishOslo('nova', update('h1'));
      await eventually(async () => assert.equal(await counted(exporter), 10));
      const s = await exporter.scrape();
      assert.equal(valueOf(s, 'openstack_notification_exporter_amqp_connected'), 1);
      assert.ok(valueOf(s, 'openstack_notification_exporter_amqp_reconnects_total') >= 1);
      assert.ok(exporter.logs.some((l) => l.includes('lost the broker, reconnecting')));
    } finally {
      proxy.resume();
      await exporter.stop();
    }
  });

  test('a reset connection (RST) is recovered the same way', async () => {
    const exporter = await runExporter({ 'amqp.url': viaProxy(), 'amqp.queue': 'q-reset', ...fastRetry });
    try {
      await waitReady(exporter);
      proxy.resetAll();
      await eventually(async () => {
        const s = await exporter.scrape();
        assert.equal(valueOf(s, 'openstack_notification_exporter_amqp_reconnects_total'), 1);
        assert.equal(valueOf(s, 'openstack_notification_exporter_amqp_connected'), 1);
      }, 30_000);
      await publishAndCount(exporter, 'h2', 1);
    } finally {
      await exporter.stop();
    }
  });

  test('heartbeats notice a link that went silent without closing', async () => {
    const exporter = await runExporter({
      'amqp.url': viaProxy(),
      'amqp.queue': 'q-hb',
      'amqp.heartbeat-interval-seconds': '1',
      ...fastRetry,
    });
    try {
      await waitReady(exporter);
      proxy.stall();
      await waitReady(exporter, 503);
      proxy.resume();
      await waitReady(exporter);
      assert.ok(
        exporter.logs.some((l) => /heartbeat/i.test(l)),
        'the heartbeat timeout is named in the log',
      );
      await publishAndCount(exporter, 'h3', 1);
    } finally {
      proxy.resume();
      await exporter.stop();
    }
  });

  test('a stalled link: /metrics answers within the broker query timeout, the queue gauges NaN and the timeout counted', async () => {
    // The default heartbeat (30 s): the stall stays unnoticed for the whole test.
    const exporter = await runExporter({ 'amqp.url': viaProxy(), 'amqp.queue': 'q-stall', ...fastRetry });
    const scrape = async (): Promise<Sample[]> => {
      // Prometheus's default scrape timeout: past it the target would read as down.
      const res = await fetch(`${exporter.baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200);
      return parseMetrics(await res.text());
    };
    try {
      await waitReady(exporter);
      const before = await eventually(async () => {
        const samples = await scrape();
        assert.equal(valueOf(samples, 'openstack_notification_exporter_queue_consumers'), 1);
        return samples;
      });
      assert.equal(valueOf(before, 'openstack_notification_exporter_queue_query_timeouts_total'), 0);
      proxy.stall();
      for (const n of [1, 2]) {
        const during = await scrape();
        assert.ok(Number.isNaN(valueOf(during, 'openstack_notification_exporter_queue_messages')), 'queue depth unknown: NaN');
        assert.ok(Number.isNaN(valueOf(during, 'openstack_notification_exporter_queue_consumers')), 'consumers unknown: NaN');
        assert.equal(valueOf(during, 'openstack_notification_exporter_queue_query_timeouts_total'), n);
        assert.equal(valueOf(during, 'openstack_notification_exporter_amqp_connected'), 1, 'the stall is not noticed yet');
      }
      proxy.resume();
      await eventually(async () => assert.equal(valueOf(await scrape(), 'openstack_notification_exporter_queue_consumers'), 1));
    } finally {
      proxy.resume();
      await exporter.stop();
    }
  });

  test('tries every host of the URL in turn', async () => {
    const url = `amqp://guest:guest@127.0.0.1:1,guest:guest@${TEST_AMQP_HOST}/${suite.vhost.name}`;
    const exporter = await runExporter({ 'amqp.url': url, 'amqp.queue': 'q-hosts' });
    try {
      await waitReady(exporter);
      // guest's password equals its name, so the log masks both: match the host part.
      assert.ok(exporter.logs.some((l) => l.includes(`@${TEST_AMQP_HOST}"`) && /"broker":/.test(l) && l.includes('"consuming"')));
    } finally {
      await exporter.stop();
    }
  });

  test('a queue deleted under the consumer is re-declared and consumption resumes', async () => {
    const exporter = await runExporter({ 'amqp.url': suite.vhost.url, 'amqp.queue': 'q-deleted', ...fastRetry });
    try {
      await waitReady(exporter);
      await suite.broker.channel.deleteQueue('q-deleted');
      await eventually(() => assert.ok(exporter.logs.some((l) => l.includes('consumer cancelled by the broker'))));
      await eventually(async () => {
        const s = await exporter.scrape(); // the scrape-time queue check must survive the 404 as well
        assert.equal(valueOf(s, 'openstack_notification_exporter_queue_consumers'), 1);
      }, 30_000);
      await publishAndCount(exporter, 'h4', 1);
    } finally {
      await exporter.stop();
    }
  });
});

/**
 * Faults of the whole broker (a restart, a memory alarm) hit every connection on it, so
 * they run on a node of the test's own, never on the shared one.
 */
describe('broker faults on a node of its own', () => {
  const own = ownNodes(1);
  const fastRetry = { 'amqp.reconnect-max-delay-seconds': '1', 'amqp.connect-timeout-seconds': '2' };

  test('a broker restart (stop_app / start_app) is survived: topology re-declared, counting resumes', async () => {
    const [node] = own.nodes as [RabbitNode];
    const exporter = await runExporter({ 'amqp.url': node.url(), 'amqp.queue': 'q-restart', ...fastRetry });
    let publisher = await TestBroker.open(node.url());
    try {
      await waitReady(exporter);
      publisher.publishOslo('nova', update('h5'));
      await eventually(async () => assert.equal(await counted(exporter), 1));
      await node.ctl('stop_app');
      await waitReady(exporter, 503);
      await node.ctl('start_app');
      await node.ctl('await_startup');
      await waitReady(exporter);
      // The publisher's connection died with the broker: publish on a fresh one.
      await publisher.close();
      publisher = await TestBroker.open(node.url());
      publisher.publishOslo('nova', update('h5'));
      await eventually(async () => assert.equal(await counted(exporter), 2));
      assert.ok(valueOf(await exporter.scrape(), 'openstack_notification_exporter_amqp_reconnects_total') >= 1);
    } finally {
      await exporter.stop();
      await publisher.close();
    }
  });

  test('under a broker memory alarm (publishers blocked) the exporter keeps draining', async () => {
    const [node] = own.nodes as [RabbitNode];
    const publisher = await TestBroker.open(node.url());
    try {
      await publisher.channel.assertExchange('nova', 'topic', { durable: false });
      await publisher.channel.assertQueue('q-alarm', { durable: true, arguments: { 'x-expires': 3_600_000, 'x-max-length': 100_000 } });
      await publisher.channel.bindQueue('q-alarm', 'nova', 'notifications.*');
      for (let i = 0; i < 20; i++) publisher.publishOslo('nova', update('h6'));
      await eventually(async () => assert.equal(await publisher.messageCount('q-alarm'), 20));
      await node.ctl('set_vm_memory_high_watermark', '0.0000001');
      const exporter = await runExporter({ 'amqp.url': node.url(), 'amqp.queue': 'q-alarm' });
      try {
        await eventually(async () => assert.equal(await counted(exporter), 20), 30_000);
        const alarms = await node.ctl('eval', 'rabbit_alarm:get_alarms().');
        assert.match(alarms, /memory/, 'the node really was under a memory alarm');
      } finally {
        await exporter.stop();
      }
    } finally {
      await publisher.close();
    }
  });
});
