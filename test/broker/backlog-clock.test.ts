import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestBroker } from '../support/broker.js';
import { eventually, runExporter } from '../support/exporter.js';
import { valueOf } from '../support/metrics-text.js';
import { createVhost } from '../support/vhost.js';

const stamp = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');

test('a backlog four hours old, drained after a restart, pairs every start with its end: success, no timeout', async () => {
  const vhost = await createVhost();
  const broker = await TestBroker.open(vhost.url);
  const flags = { 'amqp.url': vhost.url, 'amqp.queue': 'q-backlog', 'metrics.action-timeout-seconds': String(3 * 3600) };
  // The first run declares the queue and its bindings; then the exporter is down while Nova works.
  const first = await runExporter(flags);
  await eventually(async () => assert.equal((await first.get('/-/ready')).status, 200));
  await first.stop();
  const pairs = 200;
  const startedAt = Date.now() / 1000 - 4 * 3600;
  const inner = (event: string, i: number, at: number) => ({
    message_id: `${event}-${i}`,
    event_type: `compute.instance.reboot.${event}`,
    priority: 'INFO',
    publisher_id: 'compute.cmp-1',
    timestamp: stamp(at),
    payload: { instance_id: `i-${i}`, host: 'cmp-1', state: 'active' },
  });
  for (let i = 0; i < pairs; i++) broker.publishOslo('nova', inner('start', i, startedAt + i));
  for (let i = 0; i < pairs; i++) broker.publishOslo('nova', inner('end', i, startedAt + i + 20));
  await eventually(async () => assert.equal(await broker.messageCount('q-backlog'), 2 * pairs));

  const second = await runExporter(flags);
  try {
    const s = await eventually(async () => {
      const scraped = await second.scrape();
      assert.equal(valueOf(scraped, 'openstack_notification_exporter_messages_received_total'), 2 * pairs);
      return scraped;
    }, 60_000);
    const count = (outcome: string) => valueOf(s, 'openstack_instance_action_duration_seconds_count', { action: 'reboot', outcome }) ?? 0;
    assert.equal(count('success'), pairs);
    assert.equal(count('timeout'), 0);
    assert.equal(valueOf(s, 'openstack_instance_action_duration_seconds_sum', { action: 'reboot', outcome: 'success' }), 20 * pairs);
    assert.equal(valueOf(s, 'openstack_instance_actions_in_flight', { action: 'reboot' }) ?? 0, 0);
  } finally {
    await second.stop();
    await broker.close();
    await vhost.remove();
  }
});

test("starts drained, the expiry timer run, then their ends: the stream's clock keeps them in flight until they pair", async () => {
  const vhost = await createVhost();
  const broker = await TestBroker.open(vhost.url);
  const exporter = await runExporter({
    'amqp.url': vhost.url,
    'amqp.queue': 'q-backlog-timer',
    'metrics.action-timeout-seconds': String(3 * 3600),
  });
  try {
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
    const now = Date.now() / 1000;
    const inner = (action: string, event: string, i: number, at: number) => ({
      message_id: `${action}-${event}-${i}`,
      event_type: `compute.instance.${action}.${event}`,
      priority: 'INFO',
      publisher_id: 'compute.cmp-1',
      timestamp: stamp(at),
      payload: { instance_id: `i-${i}`, host: 'cmp-1', state: 'active' },
    });
    // A canary eight hours old: by the stream's clock (four hours ago, once the starts are in)
    // it is past the timeout, so its expiry shows that the timer has run after the starts.
    broker.publishOslo('nova', inner('rebuild', 'start', 0, now - 8 * 3600));
    const pairs = 50;
    for (let i = 0; i < pairs; i++) broker.publishOslo('nova', inner('reboot', 'start', i, now - 4 * 3600 + i));
    const count = async (action: string, outcome: string) =>
      valueOf(await exporter.scrape(), 'openstack_instance_action_duration_seconds_count', { action, outcome }) ?? 0;
    await eventually(async () => assert.equal(await count('rebuild', 'timeout'), 1), 30_000);
    for (let i = 0; i < pairs; i++) broker.publishOslo('nova', inner('reboot', 'end', i, now - 4 * 3600 + i + 20));
    await eventually(async () => assert.equal(await count('reboot', 'success'), pairs), 30_000);
    assert.equal(await count('reboot', 'timeout'), 0);
  } finally {
    await exporter.stop();
    await broker.close();
    await vhost.remove();
  }
});
