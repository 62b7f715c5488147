import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { TestBroker, osloEnvelope, routingKeyFor, uniqueName } from '../support/broker.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { fixtureFiles, lifecycle, readFixture } from '../support/fixtures.js';
import { seriesOf, valueOf } from '../support/metrics-text.js';
import { createVhost, declaredArguments, listExchanges, listQueues } from '../support/vhost.js';

/** The exporter against the real broker, in a vhost of its own. */
describe('counting notifications published as oslo publishes them', () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let broker: TestBroker;
  let exporter: RunningExporter;
  let exchange: string;
  const queue = uniqueName('osne-q');

  before(async () => {
    vhost = await createVhost();
    broker = await TestBroker.open(vhost.url);
    exchange = await broker.exchange('nova');
    // What oslo's rabbit driver leaves for Ceilometer: a queue per routing key. Ours must not touch it.
    await broker.queue('notifications.info', { exchange, key: 'notifications.info' });
    exporter = await runExporter({ 'amqp.url': vhost.url, 'amqp.exchange': [exchange], 'amqp.queue': queue });
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
  });

  after(async () => {
    await exporter?.stop();
    await broker?.close();
    await vhost?.remove();
  });

  test('counts every fixture by event type, priority, publisher and host', async () => {
    const files = fixtureFiles();
    const expected = new Map<string, number>();
    // Some services' documentation samples share a message_id: the second is a redelivery to the exporter.
    const ids = new Set<string>();
    let duplicates = 0;
    let errors = 0;
    for (const f of files) {
      const inner = readFixture(f);
      broker.publishOslo(exchange, inner);
      const id = inner['message_id'] ?? (inner['metadata'] as { message_id?: unknown } | undefined)?.message_id;
      if (typeof id === 'string' && ids.has(id)) {
        duplicates++;
        continue;
      }
      if (typeof id === 'string') ids.add(id);
      expected.set(inner['event_type'] as string, (expected.get(inner['event_type'] as string) ?? 0) + 1);
      if (String(inner['priority']).toUpperCase() === 'ERROR') errors++;
    }
    assert.ok(errors > 0, 'the fixtures hold error notifications');
    const s = await eventually(async () => {
      const scraped = await exporter.scrape();
      assert.equal(valueOf(scraped, 'openstack_notifications_total'), files.length - duplicates);
      return scraped;
    });
    assert.equal(valueOf(s, 'openstack_notification_exporter_messages_dropped_total', { reason: 'duplicate' }), duplicates);
    for (const [eventType, count] of expected) {
      assert.equal(valueOf(s, 'openstack_notifications_total', { event_type: eventType }), count, eventType);
    }
    assert.equal(valueOf(s, 'openstack_notifications_total', { publisher: 'compute', host: 'ip-10-147-132-184.ec2.internal' }), 2);
    assert.equal(valueOf(s, 'openstack_notifications_total', { publisher: 'nova-compute', host: 'host2' }) > 0, true);
    assert.equal(valueOf(s, 'openstack_notifications_total', { priority: 'ERROR' }), errors);
    assert.equal(valueOf(s, 'openstack_notification_exporter_messages_received_total'), files.length);
  });

  test("leaves the messages in oslo's notifications.info queue alone", async () => {
    // Every INFO fixture above was routed to it as well; the exporter consumed none of them.
    const infoFixtures = fixtureFiles().filter((f) => routingKeyFor(readFixture(f)) === 'notifications.info').length;
    assert.equal(await broker.messageCount('notifications.info'), infoFixtures);
  });

  test('queue_consumers and queue_messages are current at the very scrape after a change', async () => {
    const consumers = async () => valueOf(await exporter.scrape(), 'openstack_notification_exporter_queue_consumers');
    assert.equal(await consumers(), 1);
    // A second consumer on the exporter's queue (a replica): the next scrape shows it, not the one after.
    const ch = await broker.connection.createChannel();
    const { consumerTag } = await ch.consume(queue, () => undefined);
    assert.equal(await consumers(), 2);
    await ch.cancel(consumerTag);
    await ch.close();
    assert.equal(await consumers(), 1);
  });

  test('declares its queue durable and bounded, and binds <topic>.* only', async () => {
    const q = (await listQueues(vhost.name)).find((x) => x.name === queue);
    assert.ok(q, 'queue exists');
    assert.equal(q['durable'], true);
    assert.deepEqual(declaredArguments(q['arguments']), [
      ['x-expires', 'signedint', 3_600_000],
      ['x-max-length', 'signedint', 100_000],
    ]);
    assert.equal(await broker.consumerCount(queue), 1);
  });

  test('serves health, readiness, the landing page and OpenMetrics', async () => {
    assert.equal((await exporter.get('/-/healthy')).status, 200);
    const landing = await (await exporter.get('/')).text();
    assert.match(landing, new RegExp(`<code>${exchange}</code> → <code>notifications\\.\\*</code> → <code>${queue}</code>`));
    assert.match(landing, /href="\/metrics"/);
    assert.ok(!landing.includes('guest:guest'), 'no password on the landing page');
    const om = await exporter.get('/metrics', { Accept: 'application/openmetrics-text; version=1.0.0' });
    assert.match(om.headers.get('content-type') ?? '', /application\/openmetrics-text/);
    assert.match(await om.text(), /# EOF\n$/);
    const text = await exporter.get('/metrics');
    assert.match(text.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
    assert.equal((await exporter.get('/nope')).status, 404);
  });
});

describe('a Nova instance lifecycle over the broker', () => {
  test('gives exact transition, action, error and build-duration values', async () => {
    const vhost = await createVhost();
    const broker = await TestBroker.open(vhost.url);
    // Told how Nova declares it, the exporter declares the exchange itself and binds at once.
    const exporter = await runExporter({ 'amqp.url': vhost.url, 'amqp.exchange': ['nova'], 'amqp.declare-exchange': 'transient' });
    try {
      await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
      const exchanges = await listExchanges(vhost.name);
      assert.deepEqual(
        exchanges.find((x) => x.name === 'nova'),
        { name: 'nova', type: 'topic', durable: false },
        'declared as oslo does',
      );
      for (const m of lifecycle()) broker.publishOslo('nova', m);
      const s = await eventually(async () => {
        const scraped = await exporter.scrape();
        assert.equal(valueOf(scraped, 'openstack_notifications_total'), 14);
        return scraped;
      });
      assert.equal(
        valueOf(s, 'openstack_instance_state_transitions_total', {
          from_state: 'building',
          to_state: 'active',
          host: 'cmp-03.example.org',
        }),
        1,
      );
      assert.equal(
        valueOf(s, 'openstack_instance_state_transitions_total', { from_state: 'building', to_state: 'error', host: 'cmp-11.example.org' }),
        1,
      );
      assert.equal(valueOf(s, 'openstack_instance_actions_total', { action: 'create', phase: 'start' }), 1);
      assert.equal(valueOf(s, 'openstack_instance_actions_total', { action: 'create', phase: 'end' }), 1);
      assert.equal(valueOf(s, 'openstack_instance_actions_total', { action: 'create', phase: 'error' }), 1);
      assert.equal(valueOf(s, 'openstack_instance_actions_total', { action: 'delete', phase: 'start' }), 1);
      assert.equal(valueOf(s, 'openstack_instance_actions_total', { action: 'delete', phase: 'end' }), 1);
      assert.equal(
        valueOf(s, 'openstack_instance_errors_total', { event_type: 'compute.instance.create.error', host: 'cmp-11.example.org' }),
        1,
      );
      assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_sum', { host: 'cmp-03.example.org' }), 31);
      assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_count'), 1);
      assert.deepEqual(
        seriesOf(s, 'openstack_instances').map((x) => [x.labels['state'], x.value]),
        [['error', 1]],
      );
    } finally {
      await exporter.stop();
      await broker.close();
      await vhost.remove();
    }
  });
});

describe('topology clashes', () => {
  // At start a clash is fatal (serve exits 2: test/broker/ha.test.ts); a queue changed under a
  // running exporter is reported the same way and retried until it matches again.
  test('a queue replaced with other arguments under a running exporter is reported naming the flag, then recovered once fixed', async () => {
    const vhost = await createVhost();
    const queue = uniqueName('osne-q');
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    const exporter = await runExporter({
      'amqp.url': vhost.url,
      'amqp.queue': queue,
      'amqp.reconnect-max-delay-seconds': '1',
      'amqp.declare-exchange': 'transient',
    });
    try {
      await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
      // The exporter re-declares at the earliest 250 ms after its consumer is cancelled.
      await ch.deleteQueue(queue);
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-expires': 3_600_000, 'x-max-length': 5 } });
      const line = await eventually(() => {
        const l = exporter.logs.find((x) => x.includes('already exists with other settings'));
        assert.ok(l, 'clash reported');
        return l;
      });
      assert.match(line, /set --amqp\.queue-max-length to match it/);
      assert.match(line, /inequivalent arg 'x-max-length'/);
      assert.match(line, new RegExp(`rabbitmqctl delete_queue -p ${vhost.name} ${queue}`));
      assert.ok(!line.includes('"stack"'), 'no stack trace');
      assert.equal((await exporter.get('/-/ready')).status, 503);
      await ch.deleteQueue(queue);
      await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
      ch.publish(
        'nova',
        'notifications.info',
        osloEnvelope({ event_type: 'compute.instance.update', priority: 'INFO', publisher_id: 'compute.h1', payload: {} }),
      );
      await eventually(async () => assert.equal(valueOf(await exporter.scrape(), 'openstack_notifications_total'), 1));
    } finally {
      await exporter.stop();
      await conn.close();
      await vhost.remove();
    }
  });
});
