import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seriesOf, valueOf } from '../support/metrics-text.js';
import { countingPipeline } from '../support/pipeline.js';

const T0 = Date.UTC(2026, 10, 25, 0) / 1000;
const HOUR = 3600;
const stamp = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');

function nova(event: string, id: string, host: string, state: string, at: number) {
  return {
    event_type: `compute.instance.${event}`,
    priority: 'INFO',
    publisher_id: `compute.${host}`,
    timestamp: stamp(at),
    payload: { instance_id: id, host, state },
  };
}
const exists = (id: string, host: string, at: number, state = 'active') => nova('exists', id, host, state, at);

function setup(flags: Record<string, string> = {}) {
  const p = countingPipeline(flags);
  // A live feed: the exporter's clock keeps up with the notifications' own times, so days of
  // audits are not taken for times from the future (--metrics.max-timestamp-ahead-seconds).
  const feed = (inner: Record<string, unknown>) => {
    p.clock.now = Math.max(p.clock.now, Date.parse(`${String(inner['timestamp'])}Z`) / 1000);
    assert.equal(p.feed(inner), 'counted');
  };
  const inventory = async () => {
    const s = await p.scrape();
    return {
      instances: Object.fromEntries(seriesOf(s, 'openstack_instances').map((x) => [`${x.labels['state']}@${x.labels['host']}`, x.value])),
      expired: valueOf(s, 'openstack_notification_exporter_inventory_expired_total', { kind: 'instances' }),
      expiredResources: valueOf(s, 'openstack_notification_exporter_inventory_expired_total', { kind: 'resources' }),
    };
  };
  return { p, feed, inventory };
}

describe('the inventory follows the audits both ways', () => {
  test("Nova's audit adds and refreshes instances; one no audit names for two periods leaves, counted", async () => {
    const { feed, inventory } = setup();
    // kept is named by every hourly audit; gone's delete was lost before the first one.
    feed(nova('create.end', 'gone', 'cmp-1', 'active', T0 - 600));
    for (let h = 0; h < 2; h++) feed(exists('kept', 'cmp-1', T0 + h * HOUR + 5, h === 0 ? 'active' : 'stopped'));
    assert.deepEqual(await inventory(), { instances: { 'active@cmp-1': 1, 'stopped@cmp-1': 1 }, expired: 0, expiredResources: 0 });
    feed(exists('kept', 'cmp-1', T0 + 2 * HOUR + 5, 'stopped'));
    // Two periods past the last word on `gone`: out, and counted once.
    assert.deepEqual(await inventory(), { instances: { 'stopped@cmp-1': 1 }, expired: 1, expiredResources: 0 });
    // A late copy of an older notification does not bring it back; a newer one does (it exists after all).
    feed(nova('update', 'gone', 'cmp-1', 'active', T0 - 300));
    assert.deepEqual((await inventory()).instances, { 'stopped@cmp-1': 1 });
    feed(nova('update', 'gone', 'cmp-1', 'active', T0 + 2 * HOUR + 60));
    assert.deepEqual((await inventory()).instances, { 'active@cmp-1': 1, 'stopped@cmp-1': 1 });
  });

  test('nothing expires where no audit runs: no audit at all, a host whose audit stopped, a shelved-offloaded instance', async () => {
    const { p, feed, inventory } = setup();
    feed(nova('create.end', 'a', 'cmp-1', 'active', T0));
    feed(nova('create.end', 'quiet', 'cmp-2', 'active', T0));
    feed(nova('shelve_offload.end', 'offloaded', 'cmp-1', 'shelved_offloaded', T0));
    p.clock.now = T0 + 100 * HOUR;
    assert.equal((await inventory()).expired, 0);
    // cmp-1's audit runs for days; cmp-2's never does.
    for (let h = 1; h <= 5; h++) feed(exists('a', 'cmp-1', T0 + h * HOUR));
    const after = await inventory();
    assert.deepEqual(after.instances, { 'active@cmp-1': 1, 'active@cmp-2': 1, 'shelved_offloaded@cmp-1': 1 });
    assert.equal(after.expired, 0);
  });

  test('the period is the flag, or the longer gap the audits are seen to keep', async () => {
    // Daily audits with the hourly default: an instance missed by one daily audit stays.
    const { feed, inventory } = setup();
    feed(exists('a', 'cmp-1', T0));
    feed(exists('b', 'cmp-1', T0));
    feed(exists('a', 'cmp-1', T0 + 24 * HOUR));
    assert.equal((await inventory()).expired, 0);
    feed(exists('a', 'cmp-1', T0 + 48 * HOUR));
    assert.equal((await inventory()).expired, 1);
    // --metrics.audit-period-seconds=0: audits refresh, never expire.
    const off = setup({ 'metrics.audit-period-seconds': '0' });
    off.feed(exists('b', 'cmp-1', T0));
    for (let h = 1; h <= 5; h++) off.feed(exists('a', 'cmp-1', T0 + h * HOUR));
    assert.equal((await off.inventory()).expired, 0);
  });

  test("the services' resources follow their audits the same way (volume.exists)", async () => {
    const { p, feed, inventory } = setup({ 'openstack.services': 'nova,cinder' });
    const volume = (event: string, id: string, status: string, at: number) => ({
      event_type: event,
      priority: 'INFO',
      publisher_id: 'volume.stor-1@lvm',
      timestamp: stamp(at),
      payload: { volume_id: id, status },
    });
    feed(volume('volume.create.end', 'lost', 'available', T0 - 60));
    for (let h = 0; h <= 2; h++) feed(volume('volume.exists', 'v1', 'in-use', T0 + h * HOUR));
    const s = await p.scrape();
    assert.deepEqual(
      seriesOf(s, 'openstack_resources').map((x) => [x.labels['status'], x.value]),
      [['in-use', 1]],
    );
    assert.equal((await inventory()).expiredResources, 1);
  });
});
