import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { valueOf } from '../support/metrics-text.js';
import { osloNotify } from '../support/oslo.js';
import { createVhost } from '../support/vhost.js';
import { TEST_OSLO_EXCHANGE, TEST_OSLO_QUERY } from '../support/target.js';

const TOKEN = 'gAAAAABtoken-that-must-never-show-up-0123456789';

/** The library Nova sends with, not a re-implementation of its wire format. */
describe("notifications sent by oslo.messaging's Notifier", () => {
  let vhost: Awaited<ReturnType<typeof createVhost>>;
  let exporter: RunningExporter;

  before(async () => {
    vhost = await createVhost();
    exporter = await runExporter({ 'amqp.url': vhost.url.replace('amqp://', 'rabbit://'), 'amqp.declare-exchange': TEST_OSLO_EXCHANGE });
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
  });

  after(async () => {
    await exporter?.stop();
    await vhost?.remove();
  });

  const context = {
    auth_token: TOKEN,
    request_id: 'req-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    user_id: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    project_id: '6f70656e737461636b20697320636f6f6c',
  };
  const payload = (state: string) => ({
    instance_id: '3f2b9c1e-1111-4222-8333-944455556666',
    host: 'cmp-01.example.org',
    old_state: 'building',
    state,
    old_task_state: 'spawning',
    new_task_state: null,
    exception: 'NoValidHost',
  });

  for (const driver of ['messagingv2', 'messaging'] as const) {
    test(`driver ${driver}: info, warn and error are counted exactly`, async () => {
      const before = await exporter.scrape();
      const publisher = `compute.cmp-${driver}.example.org`;
      await osloNotify({
        url: `${vhost.url.replace('amqp://', 'rabbit://')}${TEST_OSLO_QUERY}`,
        exchange: 'nova',
        driver,
        publisher_id: publisher,
        topics: ['notifications'],
        context,
        notifications: [
          { priority: 'info', event_type: 'compute.instance.update', payload: payload('active') },
          { priority: 'info', event_type: 'compute.instance.update', payload: payload('active') },
          { priority: 'warn', event_type: 'compute.instance.update', payload: payload('active') },
          { priority: 'error', event_type: 'compute.instance.create.error', payload: payload('error') },
        ],
      });
      const host = `cmp-${driver}.example.org`;
      const s = await eventually(async () => {
        const scraped = await exporter.scrape();
        assert.equal(valueOf(scraped, 'openstack_notifications_total', { host }), 4);
        return scraped;
      });
      assert.equal(
        valueOf(s, 'openstack_notifications_total', {
          host,
          priority: 'INFO',
          publisher: 'compute',
          event_type: 'compute.instance.update',
        }),
        2,
      );
      assert.equal(valueOf(s, 'openstack_notifications_total', { host, priority: 'WARN' }), 1);
      assert.equal(
        valueOf(s, 'openstack_notifications_total', { host, priority: 'ERROR', event_type: 'compute.instance.create.error' }),
        1,
      );
      const delta = (name: string, labels: Record<string, string>) => valueOf(s, name, labels) - valueOf(before, name, labels);
      assert.equal(
        delta('openstack_instance_state_transitions_total', { from_state: 'building', to_state: 'active', host: 'cmp-01.example.org' }),
        3,
      );
      assert.equal(delta('openstack_instance_errors_total', { exception: 'NoValidHost', event_type: 'compute.instance.create.error' }), 1);
      assert.equal(delta('openstack_notification_exporter_messages_dropped_total', {}), 0);
    });
  }

  test('the auth token from the context reaches no log, no metric and no page', async () => {
    const everything = [...exporter.logs, await (await exporter.get('/metrics')).text(), await (await exporter.get('/')).text()].join('\n');
    assert.ok(exporter.logs.length > 0, 'logs were captured');
    assert.ok(!everything.includes(TOKEN));
    assert.ok(!everything.includes('_context_'));
  });
});
