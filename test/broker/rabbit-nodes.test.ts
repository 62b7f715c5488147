import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import amqp from 'amqplib';
import { alive, nodeLeadingQueue, startNodes, type RabbitNode } from '../support/rabbit-nodes.js';

test('startNodes(3, {cluster: true}): one cluster of three nodes of our own, stoppable one by one, all gone after cleanup', async (t) => {
  const started = Date.now();
  const cluster = await startNodes(3, { cluster: true });
  const pids: number[] = [];
  let base = '';
  try {
    t.diagnostic(`three nodes up and joined in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const [first, second, third] = cluster.nodes as [RabbitNode, RabbitNode, RabbitNode];
    const status = JSON.parse(await first.ctl('cluster_status', '--formatter', 'json')) as { running_nodes: string[] };
    assert.deepEqual(status.running_nodes.sort(), cluster.nodes.map((n) => n.name).sort());
    assert.equal(new Set(cluster.nodes.map((n) => n.port)).size, 3);
    assert.ok(cluster.nodes.every((n) => n.port !== 5672));
    for (const n of cluster.nodes) {
      const pid = Number(await n.ctl('eval', 'list_to_integer(os:getpid()).'));
      pids.push(pid);
      base = (await n.ctl('eval', 'rabbit_mnesia:dir().')).replace(/^"|"\s*$/g, '');
    }

    // A quorum queue declared through one node is led by one of them, as every node reports it.
    const connection = await amqp.connect(second.url());
    try {
      const ch = await connection.createChannel();
      await ch.assertQueue('ha-probe', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    } finally {
      await connection.close();
    }
    const leader = await nodeLeadingQueue(third, 'ha-probe');
    assert.ok(
      cluster.nodes.some((n) => n.name === leader),
      `leader ${leader}`,
    );

    await third.stop();
    assert.equal(third.running, false);
    assert.ok(!alive(pids[2] as number), 'the stopped node has exited');
    const fewer = JSON.parse(await first.ctl('cluster_status', '--formatter', 'json')) as { running_nodes: string[] };
    assert.equal(fewer.running_nodes.length, 2);
    await third.start();
    const back = JSON.parse(await first.ctl('cluster_status', '--formatter', 'json')) as { running_nodes: string[] };
    assert.equal(back.running_nodes.length, 3);
    pids[2] = Number(await third.ctl('eval', 'list_to_integer(os:getpid()).'));
  } finally {
    await cluster.cleanup();
  }
  for (const pid of pids) assert.ok(!alive(pid), `node process ${pid} is gone`);
  assert.ok(base !== '' && !existsSync(base), `${base} is removed`);
});
