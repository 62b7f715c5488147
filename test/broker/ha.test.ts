// --ha on the shared broker, in a vhost of its own: one replica counts, the others stand by
// ready; a clean stop or a rolling restart hands the whole state over; a replica whose HA
// mode differs from the queue's fails at start (exit 2) with one line naming --ha. The
// cluster test (ha-cluster.test.ts) adds node failures and SIGKILL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { TestBroker, uniqueName } from '../support/broker.js';
import { runCli } from '../support/cli.js';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { countingSeries, differences, referenceSamples, ResilientPublisher, summed, traffic } from '../support/ha.js';
import { valueOf } from '../support/metrics-text.js';
import { createVhost, declaredArguments, listQueues, type Vhost } from '../support/vhost.js';

/** The one line serve exits with when the queue's single-active-consumer setting differs from --ha. */
const haClash = (queue: string, vhost: string): RegExp =>
  new RegExp(
    `^openstack-notification-exporter: queue "${queue}" already exists with other settings \\(.*inequivalent arg 'x-single-active-consumer'.*\\): set --ha to match it, delete it \\(rabbitmqctl delete_queue -p ${vhost} ${queue}\\) or choose another --amqp.queue\n$`,
  );

/** rabbitmqctl's JSON gives arguments as [name, type, value] triples. */
const args = (q: Record<string, unknown> | undefined) =>
  Object.fromEntries(((q?.['arguments'] ?? []) as [string, string, unknown][]).map(([name, , value]) => [name, value]));

describe('--ha replicas on one queue', () => {
  let vhost: Vhost;
  let broker: TestBroker;
  let exchange: string;
  const queue = uniqueName('osne-ha');
  const replicas: RunningExporter[] = [];
  const flags = () => ({
    'amqp.url': vhost.url,
    'amqp.exchange': [exchange],
    'amqp.queue': queue,
    ha: 'true',
    'ha.snapshot-interval-seconds': '0.5',
    'amqp.reconnect-max-delay-seconds': '1',
  });
  const start = async () => {
    const r = await runExporter(flags());
    replicas.push(r);
    await eventually(async () => assert.equal((await r.get('/-/ready')).status, 200));
    return r;
  };
  const stop = async (r: RunningExporter) => {
    await r.stop();
    replicas.splice(replicas.indexOf(r), 1);
  };
  const scrapeAll = () => Promise.all(replicas.map((r) => r.scrape()));
  const actives = async () => (await scrapeAll()).map((s) => valueOf(s, 'openstack_notification_exporter_active'));
  /** The replicas' counts summed equal what one uninterrupted exporter shows for `sent`. */
  const countsMatch = async (sent: Parameters<typeof referenceSamples>[0], timeoutMs = 30_000) => {
    const expected = summed([countingSeries(await referenceSamples(sent))]);
    await eventually(
      async () => {
        const got = summed((await scrapeAll()).map(countingSeries));
        assert.deepEqual(differences(got, expected), []);
      },
      timeoutMs,
      250,
    );
  };

  before(async () => {
    vhost = await createVhost();
    broker = await TestBroker.open(vhost.url);
    exchange = await broker.exchange('nova');
  });
  after(async () => {
    for (const r of replicas.splice(0)) await r.stop();
    await broker?.close();
    await vhost?.remove();
  });

  const messages = traffic(1500);
  const publish = (from: number, to: number, rate = 1000) =>
    new ResilientPublisher(() => [vhost.url], exchange).run(messages.slice(from, to), rate);

  test('declares a quorum queue with a single active consumer and a quorum state queue', async () => {
    await start();
    await start();
    const queues = await eventually(async () => {
      const all = await listQueues(vhost.name);
      assert.equal(all.find((q) => q['name'] === queue)?.['consumers'], 2);
      return all;
    });
    const main = queues.find((q) => q['name'] === queue);
    assert.deepEqual(args(main), {
      'x-expires': 3_600_000,
      'x-max-length': 100_000,
      'x-queue-type': 'quorum',
      'x-single-active-consumer': true,
    });
    const state = queues.find((q) => q['name'] === `${queue}.state`);
    assert.deepEqual(args(state), { 'x-expires': 3_600_000, 'x-max-length': 2, 'x-queue-type': 'quorum' });
  });

  test('one replica is active, the other stands by ready; their sum is the count', async () => {
    // The ticks make one of them active before any notification arrives.
    await eventually(async () => assert.deepEqual((await actives()).sort(), [0, 1]));
    await publish(0, 400);
    await countsMatch(messages.slice(0, 400));
    const scrapes = await scrapeAll();
    const standby = scrapes.find((s) => valueOf(s, 'openstack_notification_exporter_active') === 0);
    assert.equal(valueOf(standby ?? [], 'openstack_notifications_total'), 0, 'the standby shows nothing counted');
    for (const r of replicas) assert.equal((await r.get('/-/ready')).status, 200);
  });

  test('a clean stop of the active replica hands its state to the other', async () => {
    const scrapes = await scrapeAll();
    const active = replicas[scrapes.findIndex((s) => valueOf(s, 'openstack_notification_exporter_active') === 1)] as RunningExporter;
    await stop(active);
    await publish(400, 700);
    await countsMatch(messages.slice(0, 700));
    assert.deepEqual(await actives(), [1]);
  });

  test('a rolling restart, one replica at a time while notifications flow, loses nothing', async () => {
    await start();
    const flowing = publish(700, 1500, 150);
    for (const r of [...replicas]) {
      await stop(r);
      await start();
    }
    await flowing;
    await countsMatch(messages);
    assert.deepEqual((await actives()).sort(), [0, 1]);
  });

  test('a replica without --ha on the --ha queue fails at start: exit 2, one line naming --ha', async () => {
    const r = await runCli([
      'serve',
      '--amqp.url',
      vhost.url,
      '--amqp.exchange',
      exchange,
      '--amqp.queue',
      queue,
      '--amqp.queue-type',
      'quorum',
      '--web.listen-address',
      '127.0.0.1:0',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, haClash(queue, vhost.name));
    // The running replicas are untouched.
    assert.deepEqual((await actives()).sort(), [0, 1]);
  });
});

describe('--ha on a queue declared without it', () => {
  test('a classic queue fails the start: exit 2, one line naming --ha and how to remove the queue', async () => {
    const vhost = await createVhost();
    const queue = uniqueName('osne-ha');
    const conn = await amqp.connect(vhost.url);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-expires': 3_600_000, 'x-max-length': 100_000 } });
      const r = await runCli(['serve', '--amqp.url', vhost.url, '--amqp.queue', queue, '--ha', '--web.listen-address', '127.0.0.1:0']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, haClash(queue, vhost.name));
      // Nothing was changed: the classic queue is as it was, with no consumer.
      const q = (await listQueues(vhost.name)).find((x) => x['name'] === queue);
      // As declared: RabbitMQ 4 also lists the type it chose.
      assert.deepEqual(Object.fromEntries(declaredArguments(q?.['arguments']).map(([name, , value]) => [name, value])), {
        'x-expires': 3_600_000,
        'x-max-length': 100_000,
      });
      assert.equal(q?.['consumers'], 0);
    } finally {
      await conn.close();
      await vhost.remove();
    }
  });

  test('--amqp.queue-type quorum on a classic queue fails the start naming --amqp.queue-type', async () => {
    const vhost = await createVhost();
    const queue = uniqueName('osne-q');
    const conn = await amqp.connect(vhost.url);
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-expires': 3_600_000, 'x-max-length': 100_000 } });
      const r = await runCli([
        'serve',
        '--amqp.url',
        vhost.url,
        '--amqp.queue',
        queue,
        '--amqp.queue-type',
        'quorum',
        '--web.listen-address',
        '127.0.0.1:0',
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /^openstack-notification-exporter: queue ".*inequivalent arg 'x-queue-type'.*: set --amqp\.queue-type to match it, delete it/,
      );
      assert.equal(r.stderr.split('\n').length, 2, 'one line');
    } finally {
      await conn.close();
      await vhost.remove();
    }
  });
});
