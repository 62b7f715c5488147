import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import type { ActionFact, ResourceFact } from '../../src/mapping/facts.js';
import { ResourceMetrics } from '../../src/metrics/resource-metrics.js';
import { parseMetrics, seriesOf, valueOf } from '../support/metrics-text.js';

function setup(over: Partial<ConstructorParameters<typeof ResourceMetrics>[1]> = {}) {
  const registry = new Registry();
  let clock = 1_000;
  const overflow: string[] = [];
  const metrics = new ResourceMetrics(registry, {
    maxTrackedActions: 100,
    actionTimeoutSeconds: 600,
    maxResources: 100,
    onOverflow: (kind) => overflow.push(kind),
    now: () => clock,
    ...over,
  });
  return {
    metrics,
    overflow,
    setNow: (t: number) => (clock = t),
    scrape: async () => parseMetrics(await registry.metrics()),
  };
}

const volume = (action: string, phase: ActionFact['phase'], at: number, resourceId = 'v1'): ResourceFact => ({
  kind: 'action',
  service: 'cinder',
  resource: 'volume',
  action,
  phase,
  host: 'c1@lvm',
  resourceId,
  at,
});
const status = (s: string, at: number, resourceId = 'v1', audit = false): ResourceFact => ({
  kind: 'status',
  service: 'cinder',
  resource: 'volume',
  resourceId,
  status: s,
  host: 'c1@lvm',
  audit,
  at,
});

describe('resource metrics', () => {
  test('every metric has HELP, and authentication outcomes exist at 0 before any arrives', async () => {
    const { scrape } = setup();
    const s = await scrape();
    for (const outcome of ['success', 'failure', 'pending']) {
      assert.equal(seriesOf(s, 'openstack_identity_authentications_total').find((x) => x.labels['outcome'] === outcome)?.value, 0, outcome);
    }
    const r = new Registry();
    new ResourceMetrics(r, { maxTrackedActions: 1, actionTimeoutSeconds: 1, maxResources: 1, onOverflow: () => {}, now: () => 0 });
    for (const m of r.getMetricsAsArray()) assert.ok((m as unknown as { help: string }).help.length > 20, m.name);
    assert.deepEqual(
      r.getMetricsAsArray().map((m) => m.name),
      [
        'openstack_resource_actions_total',
        'openstack_resource_action_duration_seconds',
        'openstack_resource_actions_in_flight',
        'openstack_resource_action_oldest_in_flight_seconds',
        'openstack_resources',
        'openstack_resource_errors_total',
        'openstack_identity_authentications_total',
      ],
    );
  });

  test('a start paired with its end by resource id, timed by the notification clocks', async () => {
    const { metrics, scrape, setNow } = setup();
    metrics.recordFact(volume('create', 'start', 100));
    metrics.recordFact(volume('create', 'start', 100, 'v2'));
    setNow(160);
    let s = await scrape();
    assert.equal(valueOf(s, 'openstack_resource_actions_in_flight', { service: 'cinder', resource: 'volume', action: 'create' }), 2);
    assert.equal(valueOf(s, 'openstack_resource_action_oldest_in_flight_seconds', { action: 'create' }), 60);
    metrics.recordFact(volume('create', 'end', 112.5));
    metrics.recordFact(volume('create', 'error', 104, 'v2'));
    s = await scrape();
    assert.equal(valueOf(s, 'openstack_resource_actions_total', { action: 'create', phase: 'start', host: 'c1@lvm' }), 2);
    assert.equal(valueOf(s, 'openstack_resource_action_duration_seconds_sum', { outcome: 'success' }), 12.5);
    assert.equal(valueOf(s, 'openstack_resource_action_duration_seconds_count', { outcome: 'error' }), 1);
    assert.equal(valueOf(s, 'openstack_resource_action_duration_seconds_bucket', { outcome: 'error', le: '5' }), 1);
    // Nothing in flight: the series reads 0 rather than vanishing.
    assert.deepEqual(
      seriesOf(s, 'openstack_resource_actions_in_flight').map((x) => [x.labels['action'], x.value]),
      [['create', 0]],
    );
  });

  test('an end before its start still pairs; the same id on another resource type does not', async () => {
    const { metrics, scrape } = setup();
    metrics.recordFact(volume('attach', 'end', 205));
    metrics.recordFact({ ...(volume('attach', 'start', 200) as ActionFact), resource: 'snapshot' });
    metrics.recordFact(volume('attach', 'start', 200));
    const s = await scrape();
    assert.equal(valueOf(s, 'openstack_resource_action_duration_seconds_sum', { resource: 'volume', action: 'attach' }), 5);
    assert.equal(valueOf(s, 'openstack_resource_actions_in_flight', { resource: 'snapshot' }), 1);
  });

  test('scraping has no side effects; expire() ends old starts as timeouts', async () => {
    const { metrics, scrape, setNow } = setup({ actionTimeoutSeconds: 600 });
    metrics.recordFact(volume('extend', 'start', 1000));
    setNow(5000);
    await scrape();
    let s = await scrape();
    assert.equal(valueOf(s, 'openstack_resource_actions_in_flight', { action: 'extend' }), 1, 'a scrape expires nothing');
    assert.equal(valueOf(s, 'openstack_resource_action_duration_seconds_count', { outcome: 'timeout' }), 0);
    metrics.expire();
    s = await scrape();
    assert.equal(valueOf(s, 'openstack_resource_actions_in_flight', { action: 'extend' }), 0);
    assert.equal(valueOf(s, 'openstack_resource_action_duration_seconds_sum', { action: 'extend', outcome: 'timeout' }), 4000);
    assert.equal(metrics.trackedActions, 0);
  });

  test('inventory by status: changes, removals, audits, and a late notification never undoes a newer one', async () => {
    const { metrics, scrape } = setup();
    metrics.recordFact(status('creating', 10));
    metrics.recordFact(status('available', 20));
    metrics.recordFact(status('creating', 15)); // redelivered late
    metrics.recordFact(status('in-use', 30, 'v2'));
    metrics.recordFact({
      kind: 'status',
      service: 'neutron',
      resource: 'port',
      resourceId: 'v1',
      status: 'ACTIVE',
      host: 'n1',
      audit: false,
      at: 5,
    });
    let s = await scrape();
    assert.equal(valueOf(s, 'openstack_resources', { service: 'cinder', resource: 'volume', status: 'available' }), 1);
    assert.equal(valueOf(s, 'openstack_resources', { service: 'cinder', resource: 'volume', status: 'creating' }), 0);
    assert.equal(valueOf(s, 'openstack_resources', { service: 'cinder', resource: 'volume', status: 'in-use' }), 1);
    assert.equal(valueOf(s, 'openstack_resources', { service: 'neutron', resource: 'port', status: 'ACTIVE' }), 1);
    metrics.recordFact({ kind: 'removed', service: 'cinder', resource: 'volume', resourceId: 'v1', at: 40 });
    metrics.recordFact(status('available', 35)); // older than the delete: stays deleted
    metrics.recordFact(status('available', 3600, 'v3', true)); // an audit names one the exporter never saw
    s = await scrape();
    assert.equal(valueOf(s, 'openstack_resources', { service: 'cinder', resource: 'volume' }), 2);
    assert.equal(valueOf(s, 'openstack_resources', { service: 'cinder', resource: 'volume', status: 'available' }), 1);
    assert.equal(metrics.trackedResources, 3);
  });

  test('the inventory and the tracker are capped, and each overflow is reported', () => {
    const { metrics, overflow } = setup({ maxResources: 2, maxTrackedActions: 2 });
    for (const id of ['a', 'b', 'c']) metrics.recordFact(status('available', 1, id));
    assert.equal(metrics.trackedResources, 2);
    for (const id of ['a', 'b', 'c']) metrics.recordFact(volume('create', 'start', 1, id));
    assert.equal(metrics.trackedActions, 2);
    assert.deepEqual(overflow, ['resources', 'resource_actions']);
  });

  test('errors by exception class and authentications by outcome', async () => {
    const { metrics, scrape } = setup();
    metrics.recordFact({ kind: 'error', service: 'heat', eventType: 'orchestration.stack.create.error', exception: 'unknown', host: 'h1' });
    metrics.recordFact({ kind: 'authentication', outcome: 'failure' });
    metrics.recordFact({ kind: 'authentication', outcome: 'failure' });
    const s = await scrape();
    assert.equal(
      valueOf(s, 'openstack_resource_errors_total', {
        service: 'heat',
        event_type: 'orchestration.stack.create.error',
        exception: 'unknown',
      }),
      1,
    );
    assert.equal(valueOf(s, 'openstack_identity_authentications_total', { outcome: 'failure' }), 2);
    assert.equal(valueOf(s, 'openstack_identity_authentications_total', { outcome: 'success' }), 0);
  });
});
