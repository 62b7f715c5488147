// The --ha protocol without a broker: the consumer and the replica driven through the fake
// broker (test/support/fake-amqp.ts) with node:test's mock timers. Acks held until a
// confirmed snapshot covers them, one synchronous copy per snapshot, failures that repeat
// backing off, a confirm that never comes, a resource alarm, a drain, two takeovers in a row.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Registry } from 'prom-client';
import type { ChannelModel } from 'amqplib';
import { Consumer } from '../../src/amqp/consumer.js';
import { parseBrokerUrl } from '../../src/amqp/url.js';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { buildConfig } from '../../src/config/config.js';
import { Replica, TICK_TYPE } from '../../src/ha/replica.js';
import { decodeSnapshot, type Snapshot } from '../../src/ha/snapshot.js';
import { SwappableCounting } from '../../src/ha/swappable-counting.js';
import { createLogger } from '../../src/log.js';
import { osloBody } from '../../src/oslo/wire.js';
import { traffic } from '../support/ha.js';
import { parseMetrics, valueOf } from '../support/metrics-text.js';
import { FakeAmqp, type FakeConnection } from '../support/fake-amqp.js';

const config = buildConfig({ ha: 'true' }, {});
const STATE = 'q.state';

/** Until `done()` holds, letting real I/O (gzip in the thread pool) and the fake's setImmediate run; mock timers do not move. */
async function until(done: () => boolean, what: string): Promise<void> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > 20_000) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

interface Member {
  readonly replica: Replica;
  readonly consumer: Consumer;
  readonly served: Registry;
  readonly logs: Record<string, unknown>[];
  readonly connections: FakeConnection[];
  /** This replica's connection with a consumer on it (not its publishing one). */
  consuming(): FakeConnection;
  /** This replica's publishing connection of the current session. */
  publishing(): FakeConnection;
}

function member(
  amqp: FakeAmqp,
  options: { prefetch?: number; clockMs?: () => number; id?: string; confirmTimeoutMs?: number } = {},
): Member {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'debug',
    format: 'json',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });
  const served = new Registry();
  const counting = new SwappableCounting(served, (r) => createCountingPipeline(config, r, log, () => Date.now() / 1000));
  const prefetch = options.prefetch ?? 10;
  const replica = new Replica({
    counting,
    stateQueue: { queue: 'q', expiresSeconds: 3600 },
    snapshotIntervalSeconds: 2,
    prefetch,
    log,
    now: () => Date.now() / 1000,
    tickIntervalMs: 1000,
    confirmTimeoutMs: options.confirmTimeoutMs ?? 5000,
    replicaId: options.id ?? 'r',
    ...(options.clockMs ? { clockMs: options.clockMs } : {}),
  });
  const connections: FakeConnection[] = [];
  const consumer = new Consumer({
    address: parseBrokerUrl('amqp://nova:pw@ctl1:5672/'),
    tls: {},
    heartbeatIntervalSeconds: 10,
    connectTimeoutSeconds: 5,
    connectionName: 'test',
    topology: {
      exchanges: ['nova'],
      topics: ['notifications'],
      missingExchanges: {},
      queue: 'q',
      queueType: 'quorum',
      singleActiveConsumer: true,
      queueExpiresSeconds: 3600,
      queueMaxLength: 1000,
    },
    prefetch,
    reconnectMaxDelaySeconds: 8,
    onMessage: () => assert.fail('--ha hands deliveries to the replica'),
    deliveries: replica.open,
    log,
    random: () => 0,
    connectHost: async (o, h) => {
      const c = await amqp.connectHost(o, h);
      connections.push(c as unknown as FakeConnection);
      return c as ChannelModel;
    },
  });
  const open = (withConsumer: boolean) => {
    const c = [...connections]
      .reverse()
      .find((x) => !x.closed && x.channels.some((ch) => ch.consumer !== undefined) === withConsumer && x.channels.length > 0);
    if (!c) throw new Error(withConsumer ? 'not consuming' : 'no publishing connection');
    return c;
  };
  return { replica, consumer, served, logs, connections, consuming: () => open(true), publishing: () => open(false) };
}

const tick = { type: TICK_TYPE, exchange: '' };
const notes = traffic(40, 3);
const note = (i: number) => ({ body: osloBody((notes[i] as (typeof notes)[number]).message), exchange: 'nova' });
const stateMessages = (amqp: FakeAmqp) => amqp.queues.get(STATE) ?? [];
const snapshotAt = async (amqp: FakeAmqp, i: number): Promise<Snapshot> => {
  const m = stateMessages(amqp)[i];
  assert.ok(m, `a snapshot at ${i} on ${STATE}`);
  return decodeSnapshot(m.content);
};
const received = (s: Snapshot) => s.metrics['openstack_notification_exporter_messages_received_total']?.[0]?.[2];

/** A member that has taken over (no snapshot yet, or the newest one) and counts. */
async function active(m: Member): Promise<void> {
  m.consumer.start();
  await settle();
  m.consuming().consumerChannel.deliver(tick);
  await until(() => m.replica.active, 'the takeover');
}

describe('--ha replica protocol (fake broker)', () => {
  const members: Member[] = [];
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_700_000_000_000 }));
  afterEach(async () => {
    const stopping = Promise.all(members.splice(0).map((m) => m.consumer.stop()));
    mock.timers.runAll();
    await stopping;
    mock.timers.reset();
  });
  const join = (amqp: FakeAmqp, options?: Parameters<typeof member>[1]) => {
    const m = member(amqp, options);
    members.push(m);
    return m;
  };

  test('acks only what a confirmed snapshot covers, with one multiple ack; a tick is acked at once', async () => {
    const amqp = new FakeAmqp();
    const m = join(amqp);
    await active(m);
    const channel = m.consuming().consumerChannel;
    assert.deepEqual(channel.acks, [{ deliveryTag: 1, multiple: false }], 'the tick');
    channel.deliverAll([note(0), note(1), note(2)]);
    await settle();
    assert.equal(channel.acks.length, 1, 'nothing acked before a snapshot');
    mock.timers.tick(2000);
    await until(() => channel.acks.length === 2, 'the ack after the snapshot');
    assert.deepEqual(channel.acks[1], { deliveryTag: 4, multiple: true });
    const s = await snapshotAt(amqp, 0);
    assert.equal(received(s), 3);
    assert.equal(s.state.recentIds.length, 3);
    assert.equal(m.replica.snapshots, 1);
  });

  test('only a standby ticks, and not while the broker blocks its publishing connection', async () => {
    const amqp = new FakeAmqp();
    const m = join(amqp);
    m.consumer.start();
    await settle();
    const ticks = () => amqp.published.filter((p) => p.properties.type === TICK_TYPE).length;
    const before = ticks();
    assert.ok(before >= 1, 'a standby ticks at once');
    mock.timers.tick(1000);
    assert.equal(ticks(), before + 1);
    assert.notEqual(amqp.published.at(-1)?.connection, m.consuming(), 'ticks go out on the publishing connection');
    m.publishing().block();
    mock.timers.tick(3000);
    assert.equal(ticks(), before + 1, 'no tick while blocked');
    m.publishing().unblock();
    mock.timers.tick(1000);
    assert.equal(ticks(), before + 2);
    m.consuming().consumerChannel.deliver(tick);
    await until(() => m.replica.active, 'the takeover');
    mock.timers.tick(5000);
    assert.equal(ticks(), before + 2, 'the active replica does not tick');
  });

  test('a snapshot is one synchronous copy: deliveries of the same socket read after it are neither in its counts nor acked', async () => {
    const amqp = new FakeAmqp();
    // Prefetch 2: a snapshot is due as soon as one delivery waits.
    const m = join(amqp, { prefetch: 2 });
    await active(m);
    const channel = m.consuming().consumerChannel;
    channel.deliverAll([note(0), note(1), note(2)]);
    await until(() => channel.acks.length >= 2, 'the first ack');
    const first = await snapshotAt(amqp, 0);
    assert.equal(first.state.recentIds.length, 1, 'the ids of what it covers');
    assert.equal(received(first), 1, 'the counts of what it covers, not of what came after');
    assert.equal(
      first.metrics['openstack_notifications_total']?.reduce((a, [, , v]) => a + v, 0),
      1,
    );
    assert.deepEqual(channel.acks[1], { deliveryTag: 2, multiple: true });
  });

  for (const [reason, setUp] of [
    [
      'too_large',
      (a: FakeAmqp) =>
        (a.refusePublish = {
          code: 406,
          name: 'PRECONDITION-FAILED',
          text: 'PRECONDITION_FAILED - message size 20000000 is larger than configured max size 16777216',
        }),
    ],
    [
      'access_refused',
      (a: FakeAmqp) =>
        (a.refusePublish = { code: 403, name: 'ACCESS-REFUSED', text: "ACCESS_REFUSED - write access to queue 'q.state' refused" }),
    ],
    [
      'queue_arguments',
      (a: FakeAmqp) =>
        a.clashes.set(
          STATE,
          "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q.state' in vhost '/': received '2' but current is '5'",
        ),
    ],
  ] as const) {
    test(`a snapshot refused every time (${reason}) backs off like any failure, is counted and named in the readiness reason`, async () => {
      const amqp = new FakeAmqp();
      const m = join(amqp, { prefetch: 2 });
      await active(m);
      setUp(amqp);
      m.consuming().consumerChannel.deliver(note(0));
      await until(() => m.consumer.state === 'connecting', 'the failed session to end');
      assert.equal(m.replica.snapshotFailures[reason], 1);
      assert.match(m.consumer.status().problem ?? '', new RegExp(`^publishing the state snapshot to q\\.state failed \\(${reason}\\)`));
      const metrics = parseMetrics(await m.served.metrics());
      assert.equal(valueOf(metrics, 'openstack_notification_exporter_messages_received_total'), 0, 'a failed replica stands by');
      // Each new session takes over, is redelivered the notification and fails again: the waits grow.
      for (const ms of [250, 500, 1000, 2000]) {
        const attempts = amqp.attempts.length;
        mock.timers.tick(ms - 1);
        await settle();
        assert.equal(amqp.attempts.length, attempts, `no reconnect before ${ms} ms`);
        mock.timers.tick(1);
        await until(() => amqp.attempts.length > attempts, `a reconnect at ${ms} ms`);
        await until(() => m.consumer.state === 'consuming', 'consuming again');
        m.consuming().consumerChannel.deliver(tick);
        m.consuming().consumerChannel.deliver(note(0));
        await until(() => m.consumer.state === 'connecting', 'the failed session to end');
      }
      assert.equal(m.replica.snapshotFailures[reason], 5);
      assert.ok(
        m.connections.every((c) => c.channels.every((ch) => ch.acks.every((a) => a.multiple === false))),
        'no notification acked, only ticks',
      );
    });
  }

  test('a nacked snapshot is a failure; nothing is acked', async () => {
    const amqp = new FakeAmqp();
    const m = join(amqp, { prefetch: 2 });
    await active(m);
    amqp.confirmMode = 'nack';
    m.consuming().consumerChannel.deliver(note(0));
    await until(() => m.consumer.state === 'connecting', 'the failed session to end');
    assert.equal(m.replica.snapshotFailures.nack, 1);
  });

  test('a confirm that never comes times out, except while a resource alarm blocks publishing', async () => {
    const amqp = new FakeAmqp();
    const m = join(amqp, { prefetch: 2, confirmTimeoutMs: 5000 });
    await active(m);
    const channel = m.consuming().consumerChannel;
    // Blocked: the snapshot waits as long as the alarm lasts, and is acked once it clears.
    m.publishing().block();
    channel.deliver(note(0));
    await settle();
    for (let i = 0; i < 4; i++) {
      mock.timers.tick(5000);
      await settle();
    }
    assert.equal(m.consumer.state, 'consuming', 'no timeout while blocked');
    assert.equal(channel.acks.length, 1, 'only the tick acked while blocked');
    m.publishing().unblock();
    await until(() => channel.acks.length === 2, 'the ack once unblocked');
    // Not blocked, never confirmed: a failure after the timeout.
    amqp.confirmMode = 'never';
    channel.deliver(note(1));
    await until(() => amqp.published.filter((p) => p.routingKey === STATE).length === 2, 'the second snapshot published');
    mock.timers.tick(4999);
    await settle();
    assert.equal(m.consumer.state, 'consuming');
    mock.timers.tick(1);
    await until(() => m.consumer.state === 'connecting', 'the timed-out session to end');
    assert.equal(m.replica.snapshotFailures.confirm_timeout, 1);
    assert.equal(channel.acks.length, 2);
  });

  test('a clean stop publishes a last snapshot and acks what it covers before cancelling', async () => {
    const amqp = new FakeAmqp();
    const m = join(amqp);
    await active(m);
    const channel = m.consuming().consumerChannel;
    channel.deliverAll([note(0), note(1)]);
    await settle();
    const opsBefore = amqp.ops.length;
    const stopping = m.consumer.stop();
    members.splice(members.indexOf(m), 1);
    await until(() => amqp.ops.slice(opsBefore).includes('cancel ctag'), 'the cancel');
    await stopping;
    assert.deepEqual(channel.acks.at(-1), { deliveryTag: 3, multiple: true });
    assert.equal(received(await snapshotAt(amqp, 0)), 2);
  });

  test('two takeovers in a row from the same snapshot: the later one outranks a late snapshot of the earlier', async () => {
    const amqp = new FakeAmqp();
    // The first active replica: one notification, one snapshot (generation 1).
    const first = join(amqp, { id: 'z-first', clockMs: () => 1000 });
    await active(first);
    first.consuming().consumerChannel.deliver(note(0));
    const stopping = first.consumer.stop();
    members.splice(members.indexOf(first), 1);
    mock.timers.tick(1);
    await stopping;
    assert.equal(stateMessages(amqp).length, 1);

    // A takes over from it (generation 2) and counts one more; its snapshot is still on its way when it dies.
    amqp.holdLanding = true;
    const a = join(amqp, { id: 'z-a', prefetch: 2, clockMs: () => 2000 });
    await active(a);
    a.consuming().consumerChannel.deliver(note(1));
    await until(() => amqp.pendingLanding.length === 1, "A's snapshot on its way");
    a.consuming().kill('Heartbeat timeout');
    await until(() => !a.replica.active, 'A to stand by');

    // B takes over from the same snapshot (A's has not landed): generation 2 as well, but later.
    const b = join(amqp, { id: 'b', clockMs: () => 3000 });
    await active(b);
    b.consuming().consumerChannel.deliverAll([note(1), note(2)]);
    mock.timers.tick(2000);
    await until(() => amqp.pendingLanding.length === 2, "B's snapshot on its way");
    // A's late snapshot lands first, B's after it.
    amqp.land((l) => l === amqp.pendingLanding[0]);
    amqp.land();
    await until(() => amqp.pendingLanding.length === 0 && stateMessages(amqp).length === 2, 'both landed');
    const [late, bs] = [await snapshotAt(amqp, 0), await snapshotAt(amqp, 1)];
    assert.equal(late.replica, 'z-a');
    assert.equal(bs.replica, 'b');
    assert.equal(late.generation, bs.generation, 'the same generation: the tie the order must break');
    amqp.holdLanding = false;
    await until(() => b.consuming().consumerChannel.acks.length === 2, "B's ack");
    const bStopping = b.consumer.stop();
    members.splice(members.indexOf(b), 1);
    mock.timers.tick(1);
    await bStopping;

    // C takes over: it must load B's (three notifications), not A's (two).
    const c = join(amqp, { id: 'c', clockMs: () => 4000 });
    await active(c);
    const metrics = parseMetrics(await c.served.metrics());
    const bLast = await snapshotAt(amqp, stateMessages(amqp).length - 1);
    assert.equal(bLast.replica, 'b');
    assert.equal(valueOf(metrics, 'openstack_notification_exporter_messages_received_total'), received(bLast));
    assert.equal(valueOf(metrics, 'openstack_notification_exporter_messages_received_total'), 3);
  });
});
