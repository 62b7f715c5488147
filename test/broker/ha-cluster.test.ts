// --ha proven on a real three-node RabbitMQ cluster of the test's own: two replicas (the
// real CLI, as child processes) with one rabbit:// URL listing all three nodes, a steady
// stream of realistic Nova traffic, and while it flows: the node the active replica is
// connected to stops, the node leading the queue stops, the active replica is SIGKILLed
// and later started again. At the end the replicas' counts, summed, are what one exporter
// shows that counted the same notifications without any interruption.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { eventually } from '../support/exporter.js';
import {
  completedActions,
  countingSeries,
  differences,
  eventTypeCounts,
  referenceSamples,
  ResilientPublisher,
  summed,
  traffic,
} from '../support/ha.js';
import { ReplicaProcess } from '../support/ha-replica-process.js';
import { valueOf } from '../support/metrics-text.js';
import { nodeLeadingQueue, ownNodes, type RabbitNode } from '../support/rabbit-nodes.js';
import { freePort } from '../support/ports.js';

const QUEUE = 'openstack-notification-exporter';
const TOTAL = 2400;
const RATE = 40;

for (const rabbitmq of [3, 4] as const) {
  describe(`--ha on a three-node cluster, RabbitMQ ${rabbitmq === 4 ? '4.0' : '3.10'}`, () => {
    const cluster = ownNodes(3, { cluster: true, rabbitmq });
    const replicas: ReplicaProcess[] = [];
    after(async () => {
      for (const r of replicas) await r.stop();
    });

    test('node failures, a leader failure and a SIGKILL of the active replica lose nothing and count nothing twice', async () => {
      const nodes = cluster.nodes;
      const url = `rabbit://${nodes.map((n) => `guest:guest@127.0.0.1:${n.port}`).join(',')}/`;
      const args = [
        '--amqp.url',
        url,
        '--ha',
        // The publisher below sends to `nova` as oslo's defaults declare it.
        '--amqp.declare-exchange',
        'transient',
        '--ha.snapshot-interval-seconds',
        '1',
        '--amqp.reconnect-max-delay-seconds',
        '2',
        '--log.level',
        'info',
      ];
      for (const name of ['a', 'b']) {
        const r = new ReplicaProcess(name, await freePort(), args);
        replicas.push(r);
        r.start();
        await r.ready();
      }
      const live = () => replicas.filter((r) => r.run.child.exitCode === null && r.run.child.signalCode === null);
      const counted = async () => {
        let total = 0;
        for (const r of live()) total += valueOf(await r.scrape().catch(() => []), 'openstack_notifications_total');
        return total;
      };
      const activeOne = () =>
        eventually(
          async () => {
            const flags = await Promise.all(live().map((r) => r.active().catch(() => false)));
            assert.equal(flags.filter(Boolean).length, 1, `one active replica: ${flags.join(',')}`);
            return live()[flags.indexOf(true)] as ReplicaProcess;
          },
          30_000,
          100,
        );
      /** Waits until `more` notifications beyond now are counted: the group counts again. */
      const progress = async (more: number) => {
        const from = await counted();
        await eventually(async () => assert.ok((await counted()) >= from + more, 'counting goes on'), 60_000, 250);
      };
      const nodeOnPort = (port: number) => nodes.find((n) => n.port === port) as RabbitNode;

      const messages = traffic(TOTAL);
      const publisher = new ResilientPublisher(() => nodes.filter((n) => n.running).map((n) => n.url()), 'nova');
      const publishing = publisher.run(messages, RATE);

      // 1. The node the active replica is connected to stops, and comes back.
      await progress(150);
      const first = await activeOne();
      const itsNode = nodeOnPort(first.brokerPort());
      await itsNode.stop();
      await activeOne();
      await progress(150);
      await itsNode.start();

      // 2. The node leading the queue stops, and comes back.
      const leaderName = await nodeLeadingQueue(nodes.find((n) => n.running) as RabbitNode, QUEUE);
      const leader = nodes.find((n) => n.name === leaderName) as RabbitNode;
      assert.ok(leader, `a leader for ${QUEUE}: ${leaderName}`);
      await leader.stop();
      await progress(150);
      await leader.start();

      // 3. The active replica dies without a goodbye; the other takes over within 10 s.
      await progress(100);
      const victim = await activeOne();
      const killedAt = Date.now();
      await victim.kill();
      const successor = await activeOne();
      const takeoverMs = Date.now() - killedAt;
      assert.notEqual(successor, victim);
      assert.ok(takeoverMs < 10_000, `took over in ${takeoverMs} ms`);
      await progress(100);
      victim.start();
      await victim.ready();

      await publishing;
      await publisher.close();
      const expected = summed([countingSeries(await referenceSamples(messages))]);
      const scrapes = await eventually(
        async () => {
          const all = await Promise.all(live().map((r) => r.scrape()));
          assert.deepEqual(differences(summed(all.map(countingSeries)), expected), []);
          return all;
        },
        60_000,
        500,
      );
      // The same, read independently of the exporter's code: per event type, and every
      // action whose start and end were both published paired with outcome="success".
      for (const [eventType, n] of eventTypeCounts(messages)) {
        assert.equal(
          scrapes.reduce((sum, s) => sum + valueOf(s, 'openstack_notifications_total', { event_type: eventType }), 0),
          n,
          eventType,
        );
      }
      for (const [action, n] of completedActions(messages)) {
        const paired = scrapes.reduce(
          (sum, s) => sum + valueOf(s, 'openstack_instance_action_duration_seconds_count', { action, outcome: 'success' }),
          0,
        );
        assert.equal(paired, n, `${action} paired with success`);
      }
      assert.equal(replicas.filter((r) => live().includes(r)).length, 2);
      console.log(
        JSON.stringify({
          takeoverMs,
          published: TOTAL,
          republished: publisher.republished,
          instances: valueOf(scrapes.flat(), 'openstack_instances'),
        }),
      );
    });
  });
}
