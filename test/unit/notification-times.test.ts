/**
 * Times read from notifications move state only when they are believable, and actions in
 * flight age by the stream's clock: a backlog drained hours late pairs its starts and ends.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StreamClock } from '../../src/pipeline/stream-clock.js';
import { seriesOf, valueOf, type Sample } from '../support/metrics-text.js';
import { countingPipeline } from '../support/pipeline.js';

const NOW = Date.UTC(2026, 10, 25, 12) / 1000;
const HOUR = 3600;
const stamp = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');
const Y9999 = '9999-12-31 23:59:59';

let seq = 0;
function nova(event: string, instance: string, timestamp: string, payload: Record<string, unknown> = {}) {
  return {
    message_id: `m-${++seq}`,
    event_type: `compute.instance.${event}`,
    priority: event.endsWith('.error') ? 'ERROR' : 'INFO',
    publisher_id: 'compute.cmp-1',
    timestamp,
    payload: { instance_id: instance, host: 'cmp-1', state: 'active', ...payload },
  };
}

function cinder(event: string, volume: string, timestamp: string, status = 'available') {
  return {
    message_id: `m-${++seq}`,
    event_type: `volume.${event}`,
    priority: 'INFO',
    publisher_id: 'volume.cmp-1@lvm',
    timestamp,
    payload: { volume_id: volume, status },
  };
}

const durations = (s: Sample[], outcome: string, action = 'create') =>
  valueOf(s, 'openstack_instance_action_duration_seconds_count', { action, outcome }) ?? 0;
const ignored = (s: Sample[], reason: string) => valueOf(s, 'openstack_notification_exporter_timestamps_ignored_total', { reason });
const states = (s: Sample[]) => Object.fromEntries(seriesOf(s, 'openstack_instances').map((x) => [`${x.labels['state']}`, x.value]));

describe('notification times outside the window are counted, not used', () => {
  test('an update dated 9999 does not pin the instance in its state', async () => {
    const p = countingPipeline();
    p.clock.now = NOW;
    p.feed(nova('update', 'i-1', Y9999, { state: 'active', old_state: 'building' }));
    p.feed(nova('update', 'i-1', stamp(NOW), { state: 'stopped', old_state: 'active' }));
    const s = await p.scrape();
    assert.deepEqual(states(s), { stopped: 1 });
    assert.equal(ignored(s, 'future'), 1);
    assert.equal(valueOf(s, 'openstack_notifications_total', { event_type: 'compute.instance.update' }), 2, 'both counted');
  });

  test('a start dated 9999 is in flight by the stream clock and expires', async () => {
    const p = countingPipeline({ 'metrics.action-timeout-seconds': '600' });
    p.clock.now = NOW;
    p.feed(nova('reboot.start', 'i-1', Y9999));
    let s = await p.scrape();
    assert.equal(valueOf(s, 'openstack_instance_actions_in_flight', { action: 'reboot' }), 1);
    p.clock.now = NOW + 600;
    s = await p.scrape();
    assert.equal(valueOf(s, 'openstack_instance_actions_in_flight', { action: 'reboot' }), 0);
    assert.equal(durations(s, 'timeout', 'reboot'), 1);
  });

  test('a start in 2020 and an end in 9999 record no duration of millennia', async () => {
    const p = countingPipeline();
    p.clock.now = NOW;
    p.feed(nova('reboot.start', 'i-1', '2020-01-01 00:00:00'));
    p.clock.now = NOW + 30;
    p.feed(nova('reboot.end', 'i-1', Y9999));
    const s = await p.scrape();
    assert.equal(durations(s, 'success', 'reboot'), 1);
    // Both times stood in by the stream's clock: no later than the wall clock between them.
    const sum = valueOf(s, 'openstack_instance_action_duration_seconds_sum', { action: 'reboot', outcome: 'success' }) as number;
    assert.ok(sum >= 0 && sum <= 30, `${sum}`);
    assert.equal(ignored(s, 'past'), 1);
    assert.equal(ignored(s, 'future'), 1);
  });

  test('the year 0001 is far in the past, not 1901; a created_at or launched_at outside the window gives no build duration', async () => {
    const p = countingPipeline();
    p.clock.now = NOW;
    p.feed(nova('update', 'i-1', '0001-01-01 00:00:00', { state: 'error' }));
    p.feed(nova('create.end', 'i-2', stamp(NOW), { created_at: '2020-01-01 00:00:00', launched_at: Y9999 }));
    p.feed(nova('create.end', 'i-3', stamp(NOW), { created_at: stamp(NOW - 40), launched_at: stamp(NOW) }));
    const s = await p.scrape();
    assert.equal(ignored(s, 'past'), 2, 'the 0001 timestamp and the 2020 created_at');
    assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_count', { host: 'cmp-1' }), 1);
    assert.equal(valueOf(s, 'openstack_instance_build_duration_seconds_sum', { host: 'cmp-1' }), 40);
  });

  test("the services' mapping: a status dated 9999 does not pin a volume, a start dated 9999 expires", async () => {
    const p = countingPipeline({ 'metrics.action-timeout-seconds': '600' });
    p.clock.now = NOW;
    p.feed(cinder('update.end', 'v-1', Y9999, 'in-use'));
    p.feed(cinder('update.end', 'v-1', stamp(NOW), 'available'));
    p.feed(cinder('create.start', 'v-2', Y9999, 'creating'));
    let s = await p.scrape();
    const volumes = Object.fromEntries(
      seriesOf(s, 'openstack_resources')
        .filter((x) => x.labels['resource'] === 'volume' && x.value > 0)
        .map((x) => [x.labels['status'], x.value]),
    );
    assert.deepEqual(volumes, { available: 1, creating: 1 });
    assert.equal(valueOf(s, 'openstack_resource_actions_in_flight', { service: 'cinder', resource: 'volume', action: 'create' }), 1);
    p.clock.now = NOW + 600;
    s = await p.scrape();
    assert.equal(valueOf(s, 'openstack_resource_actions_in_flight', { service: 'cinder', resource: 'volume', action: 'create' }), 0);
    assert.equal(ignored(s, 'future'), 2);
  });

  test('the window is configurable', async () => {
    const p = countingPipeline({ 'metrics.max-timestamp-ahead-seconds': '60', 'metrics.max-timestamp-age-seconds': '120' });
    p.clock.now = NOW;
    p.feed(nova('update', 'i-1', stamp(NOW + 61)));
    p.feed(nova('update', 'i-1', stamp(NOW - 121)));
    p.feed(nova('update', 'i-1', stamp(NOW - 119)));
    const s = await p.scrape();
    assert.equal(ignored(s, 'future'), 1);
    assert.equal(ignored(s, 'past'), 1);
  });
});

describe("actions in flight age by the stream's clock", () => {
  test('a backlog drained four hours late pairs every start with its end, though the timer ran in between', async () => {
    const p = countingPipeline({ 'metrics.action-timeout-seconds': String(3 * HOUR) });
    p.clock.now = NOW;
    const at = NOW - 4 * HOUR;
    for (let i = 0; i < 20; i++) p.feed(nova('reboot.start', `i-${i}`, stamp(at + i)));
    // The exporter's expiry timer fires while the ends still wait in the queue.
    let s = await p.scrape();
    assert.equal(valueOf(s, 'openstack_instance_actions_in_flight', { action: 'reboot' }), 20);
    for (let i = 0; i < 20; i++) p.feed(nova('reboot.end', `i-${i}`, stamp(at + 30 + i)));
    s = await p.scrape();
    assert.equal(durations(s, 'success', 'reboot'), 20);
    assert.equal(durations(s, 'timeout', 'reboot'), 0);
    assert.equal(valueOf(s, 'openstack_instance_action_duration_seconds_sum', { action: 'reboot', outcome: 'success' }), 20 * 30);
  });

  test('when the feed goes quiet the clock runs on at the wall pace: a start that never ends still expires', async () => {
    const p = countingPipeline({ 'metrics.action-timeout-seconds': String(3 * HOUR) });
    p.clock.now = NOW;
    p.feed(nova('reboot.start', 'i-1', stamp(NOW - 4 * HOUR)));
    p.clock.now = NOW + 3 * HOUR - 1;
    let s = await p.scrape();
    assert.equal(durations(s, 'timeout', 'reboot'), 0);
    p.clock.now = NOW + 3 * HOUR;
    s = await p.scrape();
    assert.equal(durations(s, 'timeout', 'reboot'), 1);
  });

  test('a time ahead of the wall clock (a skewed sender) does not move the stream clock', async () => {
    const p = countingPipeline({ 'metrics.action-timeout-seconds': String(3 * HOUR) });
    p.clock.now = NOW;
    p.feed(nova('reboot.start', 'i-1', stamp(NOW - 4 * HOUR)));
    p.feed(nova('update', 'i-2', stamp(NOW + 20 * HOUR)));
    p.feed(nova('reboot.end', 'i-1', stamp(NOW - 4 * HOUR + 10)));
    const s = await p.scrape();
    assert.equal(durations(s, 'success', 'reboot'), 1);
    assert.equal(durations(s, 'timeout', 'reboot'), 0);
  });

  test('StreamClock: the wall clock until a time is seen, then the newest time plus the wall time since', () => {
    const c = new StreamClock();
    assert.equal(c.now(1000), 1000);
    c.observe(400, 1000);
    c.observe(300, 1001);
    c.observe(5000, 1002);
    assert.equal(c.now(1000), 400);
    assert.equal(c.now(1100), 500);
    const restored = new StreamClock();
    restored.restore(c.dump(), 2000);
    assert.equal(restored.now(2010), 410);
  });
});
