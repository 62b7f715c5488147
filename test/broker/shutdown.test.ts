import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import amqp from 'amqplib';
import { osloEnvelope } from '../support/broker.js';
import { eventually, runExporter } from '../support/exporter.js';
import { parseMetrics, valueOf } from '../support/metrics-text.js';
import { createVhost, listQueues } from '../support/vhost.js';

async function fill(url: string, n: number): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  for (let i = 0; i < n; i++) {
    const inner = {
      message_id: randomUUID(),
      event_type: 'compute.instance.update',
      priority: 'INFO',
      publisher_id: 'compute.h1',
      payload: {},
    };
    if (!ch.publish('nova', 'notifications.info', osloEnvelope(inner), { deliveryMode: 2 })) await once(ch, 'drain');
  }
  await ch.waitForConfirms();
  await conn.close();
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: the CLI stops consuming, settles, closes and exits 0 (its hard limit is 10 s)`, async () => {
    const vhost = await createVhost();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      // fill() publishes to `nova` as oslo's defaults declare it: the exporter declares it so.
      env: {
        ...process.env,
        AMQP_URL: vhost.url,
        AMQP_QUEUE: 'q-shutdown',
        AMQP_DECLARE_EXCHANGE: 'transient',
        WEB_LISTEN_ADDRESS: '127.0.0.1:0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await eventually(() => assert.match(output, /"msg":"consuming"/), 20_000);
      await fill(vhost.url, 500);
      await eventually(async () => assert.equal((await listQueues(vhost.name)).find((q) => q['name'] === 'q-shutdown')?.['messages'], 0));
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0, output);
      assert.match(output, new RegExp(`"signal":"${signal}","msg":"shutting down"`));
      const queue = (await listQueues(vhost.name)).find((q) => q['name'] === 'q-shutdown');
      assert.equal(queue?.['consumers'], 0);
      assert.equal(queue?.['messages'], 0, 'everything handled was acked before closing');
    } finally {
      child.kill('SIGKILL');
      await vhost.remove();
    }
  });
}

test('stopping mid-drain loses nothing and counts nothing twice: unhandled messages go back to the queue', async () => {
  const vhost = await createVhost();
  // A small prefetch keeps the drain of 20,000 long next to one scrape, so the stop lands
  // mid-drain even on a fast machine; the 20 in flight at the stop go back to the queue.
  const flags = { 'amqp.url': vhost.url, 'amqp.queue': 'q-middrain', 'amqp.prefetch': '20' };
  const first = await runExporter(flags);
  await eventually(async () => assert.equal((await first.get('/-/ready')).status, 200));
  await first.stop();
  await fill(vhost.url, 20_000);
  const again = await runExporter(flags);
  let second: Awaited<ReturnType<typeof runExporter>> | undefined;
  try {
    await eventually(async () => assert.ok(valueOf(await again.scrape(), 'openstack_notifications_total') > 0));
    await again.stop();
    const counted = valueOf(parseMetrics(await again.exporter.registry.metrics()), 'openstack_notifications_total');
    const left = (await listQueues(vhost.name)).find((q) => q['name'] === 'q-middrain')?.['messages'] as unknown as number;
    assert.ok(counted < 20_000, 'stopped before the end of the backlog');
    assert.equal(counted + left, 20_000);
    second = await runExporter(flags);
    await eventually(async () => assert.equal(valueOf(await second!.scrape(), 'openstack_notifications_total'), left), 60_000);
  } finally {
    await second?.stop();
    await vhost.remove();
  }
});
