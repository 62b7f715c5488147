import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lifecycle, readFixture } from '../support/fixtures.js';
import { seriesOf, valueOf } from '../support/metrics-text.js';
import { countingPipeline } from '../support/pipeline.js';

const ts = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`) / 1000;

describe('the legacy lifecycle gives exact instance metrics', () => {
  test('transitions, actions, errors, durations and inventory', async () => {
    const p = countingPipeline();
    const messages = lifecycle();
    for (const m of messages) assert.equal(p.feed(m), 'counted');
    const s = await p.scrape();
    const at = (i: number) => ts(messages[i - 1]!['timestamp'] as string);

    assert.equal(valueOf(s, 'openstack_notifications_total'), 14);
    assert.equal(valueOf(s, 'openstack_notifications_total', { event_type: 'compute.instance.update' }), 5);
    assert.equal(valueOf(s, 'openstack_notifications_total', { priority: 'ERROR' }), 2);
    assert.equal(valueOf(s, 'openstack_notifications_total', { publisher: 'api', host: 'ctl-01.example.org' }), 1);

    const transitions = seriesOf(s, 'openstack_instance_state_transitions_total').map(
      (x) => `${x.labels['from_state']}>${x.labels['to_state']}@${x.labels['host']}=${x.value}`,
    );
    assert.deepEqual(transitions.sort(), [
      'active>stopped@cmp-03.example.org=1',
      'building>active@cmp-03.example.org=1',
      'building>error@cmp-11.example.org=1',
    ]);
    const tasks = seriesOf(s, 'openstack_instance_task_state_transitions_total').map(
      (x) => `${x.labels['from_task_state']}>${x.labels['to_task_state']}@${x.labels['host']}=${x.value}`,
    );
    assert.deepEqual(tasks.sort(), [
      'networking>spawning@cmp-03.example.org=1',
      'powering-off>none@cmp-03.example.org=1',
      'spawning>none@cmp-03.example.org=1',
      'spawning>none@cmp-11.example.org=1',
    ]);

    const actions = seriesOf(s, 'openstack_instance_actions_total').map((x) => `${x.labels['action']}.${x.labels['phase']}=${x.value}`);
    assert.deepEqual(actions.sort(), [
      'create.end=1',
      'create.error=1',
      'create.start=1',
      'delete.end=1',
      'delete.start=1',
      'power_off.end=1',
      'power_off.start=1',
    ]);

    const errors = seriesOf(s, 'openstack_instance_errors_total').map(
      (x) => `${x.labels['event_type']}|${x.labels['exception']}|${x.labels['host']}=${x.value}`,
    );
    assert.deepEqual(errors.sort(), [
      'compute.instance.create.error|BuildAbortException|cmp-11.example.org=1',
      'scheduler.select_destinations.error|NoValidHost|ctl-01.example.org=1',
    ]);

    assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_count', { host: 'cmp-03.example.org' }), 1);
    assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_sum'), 31);
    assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_bucket', { le: '30' }), 0);
    assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_bucket', { le: '45' }), 1);

    const dur = (action: string) => valueOf(s, 'openstack_instance_action_duration_seconds_sum', { action, outcome: 'success' });
    assert.ok(Math.abs(dur('create') - (at(5) - at(2))) < 1e-3, 'Date.parse keeps milliseconds only');
    assert.ok(Math.abs(dur('power_off') - (at(9) - at(7))) < 1e-3, 'Date.parse keeps milliseconds only');
    assert.ok(Math.abs(dur('delete') - (at(11) - at(10))) < 1e-3, 'Date.parse keeps milliseconds only');
    assert.equal(valueOf(s, 'openstack_instance_action_duration_seconds_count'), 3, 'create.error had no start to pair');
    assert.equal(valueOf(s, 'openstack_instance_actions_in_flight'), 0);

    // The deleted instance left; the failed build is in error on its host.
    assert.deepEqual(
      seriesOf(s, 'openstack_instances').map((x) => `${x.labels['state']}@${x.labels['host']}=${x.value}`),
      ['error@cmp-11.example.org=1'],
    );
    assert.equal(
      valueOf(s, 'openstack_notification_last_received_timestamp_seconds', { publisher: 'compute', host: 'cmp-03.example.org' }),
      p.clock.now,
    );
  });
});

describe('formats', () => {
  const legacy = readFixture('nova-legacy/compute.instance.update.json');
  const versioned = readFixture('nova-versioned-watcher/instance-update.json');

  test('with notification_format=both, instance metrics follow the versioned stream only', async () => {
    const p = countingPipeline({ 'nova.notification-format': 'both' });
    p.feed(legacy);
    p.feed(versioned);
    const s = await p.scrape();
    assert.equal(valueOf(s, 'openstack_notifications_total'), 2, 'both notifications are counted');
    const t = seriesOf(s, 'openstack_instance_state_transitions_total');
    assert.deepEqual(
      t.map((x) => `${x.labels['from_state']}>${x.labels['to_state']}`),
      ['none>active'],
      'only the versioned transition',
    );
  });

  test('unversioned follows the legacy stream only', async () => {
    const p = countingPipeline();
    p.feed(legacy);
    p.feed(versioned);
    const s = await p.scrape();
    assert.deepEqual(
      seriesOf(s, 'openstack_instance_state_transitions_total').map((x) => x.labels['to_state']),
      ['active'],
    );
  });
});

describe('bad input is counted, never lost, and the next good message still counts', () => {
  test('each drop reason is counted once', async () => {
    const p = countingPipeline({ 'amqp.max-message-bytes': '2048' });
    const good = { message_id: 'g1', event_type: 'compute.instance.update', priority: 'INFO', publisher_id: 'compute.h', payload: {} };
    const outcomes = [
      p.feedRaw(Buffer.from([0xc3, 0x28])),
      p.feedRaw(Buffer.from('{')),
      p.feedRaw(Buffer.from('[]')),
      p.feedRaw(Buffer.from('{"oslo.message": 1}')),
      p.feed({ payload: {} }),
      p.feedRaw(Buffer.alloc(4096, 0x20)),
      p.feed(good),
      p.feed(good),
    ];
    assert.deepEqual(outcomes, [
      'invalid_utf8',
      'malformed_json',
      'not_an_object',
      'malformed_envelope',
      'missing_event_type',
      'oversized',
      'counted',
      'duplicate',
    ]);
    const s = await p.scrape();
    for (const reason of [
      'invalid_utf8',
      'malformed_json',
      'not_an_object',
      'malformed_envelope',
      'missing_event_type',
      'oversized',
      'duplicate',
    ]) {
      assert.equal(valueOf(s, 'openstack_notification_exporter_messages_dropped_total', { reason }), 1, reason);
    }
    assert.equal(valueOf(s, 'openstack_notification_exporter_messages_received_total'), 8);
    assert.equal(valueOf(s, 'openstack_notifications_total'), 1);
  });

  test('bad-input logs are rate limited', () => {
    const p = countingPipeline();
    for (let i = 0; i < 1000; i++) p.feedRaw(Buffer.from('not json'));
    const warnings = p.logs.filter((l) => l.includes('"message dropped"'));
    assert.equal(warnings.length, 10);
  });
});

describe('cardinality is bounded', () => {
  test('hosts past --metrics.max-hosts become other, and the overflow is counted', async () => {
    const p = countingPipeline({ 'metrics.max-hosts': '5' });
    for (let i = 0; i < 20; i++) {
      p.feed({ event_type: 'compute.instance.update', priority: 'INFO', publisher_id: `compute.h${i}`, payload: {} });
    }
    const s = await p.scrape();
    const hosts = new Set(seriesOf(s, 'openstack_notifications_total').map((x) => x.labels['host']));
    assert.equal(hosts.size, 6);
    assert.ok(hosts.has('other'));
    assert.equal(valueOf(s, 'openstack_notifications_total', { host: 'other' }), 15);
    assert.equal(valueOf(s, 'openstack_notification_exporter_label_values_overflow_total', { label: 'host' }), 30, 'per metric using host');
    assert.equal(valueOf(s, 'openstack_notifications_total'), 20, 'nothing is lost');
  });
});

describe('a flood of 50,000 distinct hosts', () => {
  test('keeps every metric within the host cap, counts the overflow, and loses no notification', async () => {
    const p = countingPipeline();
    for (let i = 0; i < 50_000; i++) {
      p.feed({
        event_type: 'compute.instance.update',
        priority: 'INFO',
        publisher_id: `compute.flood-${i}.example.org`,
        payload: { instance_id: `i-${i}`, host: `flood-${i}.example.org`, old_state: 'building', state: 'active' },
      });
    }
    const s = await p.scrape();
    for (const name of [
      'openstack_notifications_total',
      'openstack_instance_state_transitions_total',
      'openstack_instances',
      'openstack_notification_last_received_timestamp_seconds',
    ]) {
      const hosts = new Set(seriesOf(s, name).map((x) => x.labels['host']));
      assert.equal(hosts.size, 10_001, `${name}: 10,000 hosts and other`);
    }
    assert.equal(valueOf(s, 'openstack_notifications_total'), 50_000);
    assert.equal(valueOf(s, 'openstack_notifications_total', { host: 'other' }), 40_000);
    assert.equal(valueOf(s, 'openstack_instances'), 50_000, 'the inventory keeps every instance, only its host label is capped');
    // Counted once per value bounded, not once per metric: the sender's host and the instance's host.
    assert.equal(valueOf(s, 'openstack_notification_exporter_label_values_overflow_total', { label: 'host' }), 40_000 * 2);
    assert.ok(s.length < 60_000, `${s.length} series in all`);
  });
});

describe('services beyond Nova through the counting pipeline', () => {
  test('a volume create is counted, paired by volume id with the notifications own clocks, and kept in the inventory', async () => {
    const p = countingPipeline();
    const volume = (event: string, status: string, timestamp: string) => ({
      event_type: `volume.${event}`,
      priority: 'INFO',
      publisher_id: 'volume.stor-1@lvm',
      timestamp,
      message_id: `${event}-${timestamp}`,
      payload: { volume_id: 'v-1', status, host: 'stor-1@lvm#pool', size: 1 },
    });
    p.feed(volume('create.start', 'creating', '2026-11-25 12:00:00.000000'));
    p.feed(volume('create.end', 'available', '2026-11-25 12:00:07.500000'));
    p.feed({
      event_type: 'identity.authenticate',
      priority: 'INFO',
      publisher_id: 'identity.ctl-1',
      payload: { outcome: 'failure', initiator: { id: 'u-1', host: { address: '203.0.113.9' } } },
    });
    const s = await p.scrape();
    const labels = { service: 'cinder', resource: 'volume', action: 'create' };
    assert.equal(valueOf(s, 'openstack_resource_actions_total', { ...labels, phase: 'start', host: 'stor-1@lvm' }), 1);
    assert.equal(valueOf(s, 'openstack_resource_actions_total', { ...labels, phase: 'end', host: 'stor-1@lvm' }), 1);
    assert.equal(valueOf(s, 'openstack_resource_action_duration_seconds_sum', { ...labels, outcome: 'success' }), 7.5);
    assert.equal(valueOf(s, 'openstack_resource_actions_in_flight', labels), 0);
    assert.equal(valueOf(s, 'openstack_resources', { service: 'cinder', resource: 'volume', status: 'available' }), 1);
    assert.equal(valueOf(s, 'openstack_identity_authentications_total', { outcome: 'failure' }), 1);
    // Never a user, project or address as a label.
    assert.ok(!s.some((x) => Object.values(x.labels).some((v) => v === 'u-1' || v === '203.0.113.9')));
    // The same traffic also counts as notifications, as before.
    assert.equal(valueOf(s, 'openstack_notifications_total', { publisher: 'volume' }), 2);
  });
});
