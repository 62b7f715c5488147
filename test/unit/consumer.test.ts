import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Consumer, type BrokerStatus, type ConsumerOptions } from '../../src/amqp/consumer.js';
import { parseBrokerUrl } from '../../src/amqp/url.js';
import { EXCHANGE_POLL_MS } from '../../src/amqp/exchange-watch.js';
import type { TopologySpec } from '../../src/amqp/topology.js';
import { createLogger } from '../../src/log.js';
import { FakeAmqp } from '../support/fake-amqp.js';

/**
 * The consumer's connection life with an in-memory broker and node:test's mock timers:
 * reconnect, backoff, host rotation and ack batching, with no broker and no real waiting.
 */

// RabbitMQ's words for an --ha declaration on a queue declared without it.
const CLASH =
  "PRECONDITION_FAILED - inequivalent arg 'x-single-active-consumer' for queue 'q' in vhost '/': received the value 'true' of type 'bool' but current is none";

/** The link's state and problem, without the topology's details. */
function stateAndProblem(s: BrokerStatus): Pick<BrokerStatus, 'state' | 'problem'> {
  return { state: s.state, problem: s.problem };
}

/** Lets every settled promise run its continuations (I/O-free: the fake answers at once). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

interface Harness {
  readonly amqp: FakeAmqp;
  readonly consumer: Consumer;
  readonly received: string[];
  readonly logs: Record<string, unknown>[];
}

const TOPOLOGY: TopologySpec = {
  exchanges: ['nova'],
  topics: ['notifications'],
  missingExchanges: {},
  queue: 'q',
  queueType: 'classic',
  singleActiveConsumer: false,
  queueExpiresSeconds: 3600,
  queueMaxLength: 100,
};

function harness(options: Partial<ConsumerOptions> & { url?: string } = {}): Harness {
  const amqp = new FakeAmqp();
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const h: Harness = { amqp, received: [], logs, consumer: undefined as unknown as Consumer };
  const consumer = new Consumer({
    address: parseBrokerUrl(options.url ?? 'amqp://nova:pw@ctl1:5672/'),
    tls: {},
    heartbeatIntervalSeconds: 10,
    connectTimeoutSeconds: 5,
    connectionName: 'test',
    topology: TOPOLOGY,
    prefetch: 10,
    reconnectMaxDelaySeconds: 4,
    onMessage: (body) => h.received.push(body.toString()),
    log: createLogger({ level: 'debug', format: 'json', destination }),
    random: () => 0,
    connectHost: amqp.connectHost,
    ...options,
  });
  return Object.assign(h, { consumer });
}

/** The connection has been up long enough to count as one that worked (Date is mocked too). */
function upForAWhile(): void {
  mock.timers.tick(5000);
}

/** Asserts the next connection attempt comes exactly `ms` after now, not a millisecond earlier. */
async function nextAttemptAfter(h: Harness, ms: number): Promise<void> {
  const before = h.amqp.attempts.length;
  mock.timers.tick(ms - 1);
  await settle();
  assert.equal(h.amqp.attempts.length, before, `no attempt before ${ms} ms`);
  mock.timers.tick(1);
  await settle();
  assert.ok(h.amqp.attempts.length > before, `an attempt at ${ms} ms`);
}

describe('consumer (no broker)', () => {
  let h: Harness | undefined;
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(async () => {
    const stopping = h?.consumer.stop();
    mock.timers.runAll();
    await stopping;
    h = undefined;
    mock.timers.reset();
  });

  test('declares the exchange, its own queue and bindings, then consumes with the prefetch window', async () => {
    h = harness();
    h.consumer.start();
    await settle();
    assert.equal(h.consumer.state, 'consuming');
    assert.deepEqual(h.amqp.ops, [
      'checkExchange nova',
      'assertQueue q',
      'bindQueue q nova notifications.*',
      // The queue's real type: the broker accepts a redeclaration naming it only when it matches.
      'assertQueue q quorum',
      'assertQueue q classic',
      'prefetch 10',
      'consume q',
    ]);
    assert.equal(h.consumer.status().queueType, 'classic');
    h.amqp.connection.consumerChannel.deliver('one');
    assert.deepEqual(h.received, ['one']);
  });

  test('a missing exchange is not declared: consumes from the others, not ready with the reason, binds once it appears', async () => {
    h = harness({
      topology: {
        ...TOPOLOGY,
        exchanges: ['nova', 'cinder'],
        missingExchanges: {
          nova: { service: 'nova', declare: false, advice: 'waiting for nova to declare it' },
          cinder: { service: 'cinder', declare: false, advice: 'waiting for cinder to declare it' },
        },
      },
    });
    h.amqp.missingExchanges.add('nova');
    h.consumer.start();
    await settle();
    assert.equal(h.consumer.state, 'consuming');
    assert.ok(!h.amqp.ops.some((op) => op.startsWith('assertExchange')), 'never declares an exchange of a service');
    assert.ok(h.amqp.ops.includes('bindQueue q cinder notifications.*'));
    assert.ok(!h.amqp.ops.includes('bindQueue q nova notifications.*'));
    const waiting = h.consumer.status();
    assert.equal(waiting.ready, false);
    assert.deepEqual(waiting.awaitingExchanges, ['nova']);
    assert.equal(waiting.problem, 'exchange nova does not exist yet: waiting for nova to declare it');
    assert.ok(h.logs.some((l) => l['level'] === 'warn' && l['msg'] === waiting.problem));

    // Still missing at the next look: nothing changes, and the consumer keeps consuming.
    mock.timers.tick(EXCHANGE_POLL_MS);
    await settle();
    assert.equal(h.consumer.status().ready, false);
    h.amqp.missingExchanges.delete('nova'); // Nova sends its first notification
    mock.timers.tick(EXCHANGE_POLL_MS);
    await settle();
    assert.ok(h.amqp.ops.includes('bindQueue q nova notifications.*'));
    assert.deepEqual(h.consumer.status(), { ...waiting, ready: true, problem: undefined, awaitingExchanges: [] });
    assert.equal(h.amqp.connections.length, 1, 'the same connection throughout');
  });

  test("a queue the vhost's default queue type made quorum is reported as quorum", async () => {
    h = harness();
    h.amqp.queueType = 'quorum';
    h.consumer.start();
    await settle();
    assert.equal(h.consumer.state, 'consuming');
    assert.equal(h.consumer.status().queueType, 'quorum');
  });

  test('acks in batches of half the prefetch window with one multiple ack, and a trickle after 50 ms', async () => {
    h = harness();
    h.consumer.start();
    await settle();
    const channel = h.amqp.connection.consumerChannel;
    for (let i = 0; i < 4; i++) channel.deliver();
    assert.deepEqual(channel.acks, []);
    channel.deliver();
    assert.deepEqual(channel.acks, [{ deliveryTag: 5, multiple: true }]);
    channel.deliver();
    channel.deliver();
    mock.timers.tick(49);
    assert.equal(channel.acks.length, 1);
    mock.timers.tick(1);
    assert.deepEqual(channel.acks.at(-1), { deliveryTag: 7, multiple: true });
    assert.equal(channel.acks.length, 2);
  });

  test('backoff doubles from 0.5 s to the cap, jittered into its upper half', async () => {
    h = harness({ random: () => 0 });
    h.amqp.dead.add('ctl1');
    h.consumer.start();
    await settle();
    assert.equal(h.amqp.attempts.length, 1);
    // random 0: half of 0.5, 1, 2, 4, then the 4 s cap.
    for (const ms of [250, 500, 1000, 2000, 2000, 2000]) await nextAttemptAfter(h, ms);
    assert.equal(h.consumer.state, 'connecting');
    const errors = h.logs.filter((l) => l['level'] === 'error');
    assert.deepEqual(
      errors.map((l) => l['attempt']),
      [1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(errors[0]?.['msg'], 'nothing listens on ctl1:5672 (is RabbitMQ running?)');
  });

  test('jitter reaches the full delay when random is near 1', async () => {
    h = harness({ random: () => 0.999 });
    h.amqp.dead.add('ctl1');
    h.consumer.start();
    await settle();
    for (const ms of [250 + 250 * 0.999, 500 + 500 * 0.999, 1000 + 1000 * 0.999]) await nextAttemptAfter(h, Math.ceil(ms));
  });

  test('a refused login is retried at the slowest pace at once, not ramped up', async () => {
    h = harness();
    h.amqp.refuseLogin.add('ctl1');
    h.consumer.start();
    await settle();
    await nextAttemptAfter(h, 2000);
    await nextAttemptAfter(h, 2000);
    assert.equal(h.logs.at(-1)?.['permanent'], true);
    assert.match(String(h.logs.at(-1)?.['msg']), /refused the login of user "nova"/);
  });

  test('a lost connection: connecting meanwhile, then reconnected after the first step, topology declared again', async () => {
    h = harness();
    h.consumer.start();
    await settle();
    upForAWhile();
    h.amqp.connection.kill('Heartbeat timeout');
    await settle();
    assert.equal(h.consumer.state, 'connecting');
    assert.ok(h.logs.some((l) => l['msg'] === 'lost the broker, reconnecting' && l['reason'] === 'Heartbeat timeout'));
    await nextAttemptAfter(h, 250);
    assert.equal(h.consumer.state, 'consuming');
    assert.equal(h.consumer.reconnects, 1);
    assert.equal(h.amqp.ops.filter((op) => op === 'assertQueue q').length, 2);
    h.amqp.connection.consumerChannel.deliver('after');
    assert.deepEqual(h.received, ['after']);
  });

  test('a connection that worked (it acked) resets the backoff: after a loss it starts over from the first step', async () => {
    h = harness();
    h.amqp.dead.add('ctl1');
    h.consumer.start();
    await settle();
    for (const ms of [250, 500]) await nextAttemptAfter(h, ms);
    h.amqp.dead.delete('ctl1');
    await nextAttemptAfter(h, 1000);
    assert.equal(h.consumer.state, 'consuming');
    for (let i = 0; i < 5; i++) h.amqp.connection.consumerChannel.deliver();
    assert.equal(h.amqp.connection.consumerChannel.acks.length, 1);
    h.amqp.dead.add('ctl1');
    h.amqp.connection.kill();
    await settle();
    for (const ms of [250, 250, 500]) await nextAttemptAfter(h, ms);
  });

  test('a connection lost at once every time, having acked nothing, is retried with a growing pause, not hot', async () => {
    h = harness();
    h.consumer.start();
    await settle();
    // The broker closes the channel as soon as the consumer is set up, on every connection.
    for (const ms of [250, 500, 1000, 2000, 2000]) {
      void h.amqp.connection.consumerChannel.close();
      await settle();
      assert.equal(h.consumer.state, 'connecting');
      await nextAttemptAfter(h, ms);
      assert.equal(h.consumer.state, 'consuming');
    }
    assert.ok(h.logs.some((l) => l['msg'] === 'lost the broker soon after connecting, reconnecting after a pause' && l['attempt'] === 3));
  });

  test('host rotation: dead hosts are skipped in order; after a loss the host that worked is tried first', async () => {
    h = harness({ url: 'amqp://nova:pw@ctl1,nova:pw@ctl2,nova:pw@ctl3/' });
    h.amqp.dead.add('ctl1');
    h.consumer.start();
    await settle();
    assert.deepEqual(h.amqp.attempts, ['ctl1', 'ctl2']);
    assert.equal(h.amqp.connection.host.hostname, 'ctl2');
    h.amqp.dead.add('ctl2');
    h.amqp.connection.kill();
    await settle();
    await nextAttemptAfter(h, 250);
    assert.deepEqual(h.amqp.attempts, ['ctl1', 'ctl2', 'ctl2', 'ctl3']);
    assert.equal(h.consumer.state, 'consuming');
  });

  test('host rotation: a host that takes the connection but refuses the topology is left for the next', async () => {
    h = harness({ url: 'amqp://nova:pw@ctl1,nova:pw@ctl2/' });
    h.amqp.refuseQueueOn.add('ctl1');
    h.consumer.start();
    await settle();
    assert.deepEqual(h.amqp.attempts, ['ctl1']);
    assert.equal(h.consumer.state, 'connecting');
    await nextAttemptAfter(h, 250);
    assert.deepEqual(h.amqp.attempts, ['ctl1', 'ctl2']);
    assert.equal(h.consumer.state, 'consuming');
  });

  test('every host failing: one line naming each host with its own reason', async () => {
    h = harness({ url: 'amqp://nova:pw@ctl1,nova:pw@ctl2/' });
    h.amqp.dead.add('ctl1');
    h.amqp.refuseLogin.add('ctl2');
    h.consumer.start();
    await settle();
    assert.equal(
      h.logs.find((l) => l['level'] === 'error')?.['msg'],
      'all 2 broker hosts failed: nothing listens on ctl1:5672 (is RabbitMQ running?); broker ctl2:5672 refused the login of user "nova": check the user and password in --amqp.url',
    );
  });

  test('a consumer cancelled by the broker (queue deleted) starts over and declares the queue again', async () => {
    h = harness();
    h.consumer.start();
    await settle();
    h.amqp.connection.consumerChannel.cancelByBroker();
    await settle();
    assert.ok(h.logs.some((l) => String(l['msg']).startsWith('consumer cancelled by the broker')));
    await nextAttemptAfter(h, 250);
    assert.equal(h.amqp.connections.length, 2);
    assert.equal(h.consumer.state, 'consuming');
    assert.equal(h.amqp.ops.filter((op) => op === 'assertQueue q').length, 2);
  });

  test('a channel closed under the consumer closes its connection and starts over', async () => {
    h = harness();
    h.consumer.start();
    await settle();
    const first = h.amqp.connection;
    void first.consumerChannel.close();
    await settle();
    assert.equal(first.closed, true);
    await nextAttemptAfter(h, 250);
    assert.equal(h.amqp.connections.length, 2);
    assert.equal(h.consumer.state, 'consuming');
  });

  test('keeps the last connection problem while not consuming, and clears it once consuming', async () => {
    h = harness();
    assert.deepEqual(stateAndProblem(h.consumer.status()), { state: 'connecting', problem: undefined });
    h.amqp.refuseLogin.add('ctl1');
    h.consumer.start();
    await settle();
    assert.deepEqual(stateAndProblem(h.consumer.status()), {
      state: 'connecting',
      problem: 'broker ctl1:5672 refused the login of user "nova": check the user and password in --amqp.url',
    });
    h.amqp.refuseLogin.delete('ctl1');
    await nextAttemptAfter(h, 2000);
    assert.deepEqual(stateAndProblem(h.consumer.status()), { state: 'consuming', problem: undefined });

    h.amqp.dead.add('ctl1');
    upForAWhile();
    h.amqp.connection.kill('Heartbeat timeout');
    await settle();
    assert.deepEqual(stateAndProblem(h.consumer.status()), {
      state: 'connecting',
      problem: 'lost the broker ctl1:5672: Heartbeat timeout',
    });
    await nextAttemptAfter(h, 250);
    assert.equal(h.consumer.status().problem, 'nothing listens on ctl1:5672 (is RabbitMQ running?)');
    h.amqp.dead.delete('ctl1');
    await nextAttemptAfter(h, 250);
    assert.deepEqual(stateAndProblem(h.consumer.status()), { state: 'consuming', problem: undefined });
    await h.consumer.stop();
    assert.deepEqual(stateAndProblem(h.consumer.status()), { state: 'stopped', problem: 'the exporter is shutting down' });
  });

  test('a queue refused as inequivalent before the first consume is a fatal start error, reported once', async () => {
    const refusals: string[] = [];
    h = harness({ onRefusedAtStart: (err) => refusals.push(err.message) });
    h.amqp.queueClash = CLASH;
    h.consumer.start();
    await settle();
    assert.equal(refusals.length, 1);
    assert.match(
      refusals[0] ?? '',
      /^queue "q" already exists with other settings \(.*inequivalent arg 'x-single-active-consumer'.*\): set --ha to match it/,
    );
    assert.equal(h.consumer.state, 'stopped');
    assert.deepEqual(stateAndProblem(h.consumer.status()), { state: 'stopped', problem: refusals[0] });
    // Not retried, and not logged as a retry either: the owner prints the one line.
    mock.timers.tick(60_000);
    await settle();
    assert.equal(h.amqp.attempts.length, 1);
    assert.equal(refusals.length, 1);
    assert.deepEqual(
      h.logs.filter((l) => l['level'] === 'error'),
      [],
    );
    assert.equal(h.amqp.connection.closed, true);
  });

  test('a refusal after the first connection failed is still a start error', async () => {
    const refusals: string[] = [];
    h = harness({ onRefusedAtStart: (err) => refusals.push(err.message) });
    h.amqp.dead.add('ctl1');
    h.consumer.start();
    await settle();
    h.amqp.dead.delete('ctl1');
    h.amqp.queueClash = CLASH;
    await nextAttemptAfter(h, 250);
    assert.equal(refusals.length, 1);
    assert.equal(h.consumer.state, 'stopped');
  });

  test('a queue refused after the exporter has consumed (changed under it) is retried, not fatal', async () => {
    const refusals: string[] = [];
    h = harness({ onRefusedAtStart: (err) => refusals.push(err.message) });
    h.consumer.start();
    await settle();
    assert.equal(h.consumer.state, 'consuming');
    h.amqp.queueClash = CLASH;
    upForAWhile();
    h.amqp.connection.kill();
    await settle();
    await nextAttemptAfter(h, 250);
    assert.deepEqual(refusals, []);
    assert.equal(h.consumer.state, 'connecting');
    assert.match(String(h.logs.find((l) => l['level'] === 'error')?.['msg']), /already exists with other settings.*set --ha to match it/);
    // Retried with the usual backoff until the queue matches again.
    await nextAttemptAfter(h, 250);
    h.amqp.queueClash = undefined;
    await nextAttemptAfter(h, 500);
    assert.equal(h.consumer.state, 'consuming');
  });

  test('without an owner for start errors, a refused queue is retried', async () => {
    h = harness();
    h.amqp.queueClash = CLASH;
    h.consumer.start();
    await settle();
    await nextAttemptAfter(h, 250);
    assert.equal(h.consumer.state, 'connecting');
    assert.match(h.consumer.status().problem ?? '', /already exists with other settings/);
  });

  test('stop acks what was handled, cancels, closes, and ends a backoff wait at once', async () => {
    h = harness();
    h.consumer.start();
    await settle();
    const connection = h.amqp.connection;
    connection.consumerChannel.deliver();
    connection.consumerChannel.deliver();
    const channel = connection.consumerChannel;
    await h.consumer.stop();
    assert.deepEqual(channel.acks, [{ deliveryTag: 2, multiple: true }]);
    assert.ok(h.amqp.ops.includes('cancel ctag'));
    assert.equal(connection.closed, true);
    assert.equal(h.consumer.state, 'stopped');

    // Stopped while waiting to retry: no timer has to fire for stop() to return.
    const waiting = harness();
    waiting.amqp.dead.add('ctl1');
    waiting.consumer.start();
    await settle();
    await waiting.consumer.stop();
    mock.timers.tick(60_000);
    await settle();
    assert.equal(waiting.amqp.attempts.length, 1);
  });
});
