import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exemplarLabels, MAX_EXEMPLAR_LABEL_CHARS } from '../../src/metrics/exemplars.js';
import { openMetricsView } from '../../src/metrics/registry.js';
import { countingPipeline } from '../support/pipeline.js';

const T0 = Date.UTC(2026, 10, 25, 11) / 1000;
const stamp = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');
const REQ = 'req-0c1f3a52-9d2e-4b8a-a6f1-3e5d7c9b1a20';
const INSTANCE = '3f2b9c1e-7d4a-4b8e-9c2f-1a2b3c4d5e6f';

function nova(event: string, priority: string, at: number, payload: Record<string, unknown> = {}) {
  return {
    event_type: `compute.instance.${event}`,
    priority,
    publisher_id: 'compute.cmp-1',
    timestamp: stamp(at),
    _context_request_id: REQ,
    _context_auth_token: 'secret-token',
    payload: { instance_id: INSTANCE, host: 'cmp-1', state: 'building', ...payload },
  };
}

/** A failed build, a successful one, and a Cinder scheduler error, each naming its request. */
async function scrapeBoth(flags: Record<string, string> = {}) {
  const p = countingPipeline(flags);
  p.clock.now = T0 + 100;
  p.feed(nova('create.start', 'INFO', T0));
  p.feed(nova('create.error', 'ERROR', T0 + 7, { message: 'No valid host was found. ', state: 'error' }));
  p.feed({ ...nova('create.start', 'INFO', T0 + 10), payload: { instance_id: 'other', host: 'cmp-1', state: 'building' } });
  p.feed({
    ...nova('create.end', 'INFO', T0 + 40),
    payload: { instance_id: 'other', host: 'cmp-1', state: 'active', created_at: stamp(T0 + 10), launched_at: stamp(T0 + 40) },
  });
  p.feed({
    event_type: 'scheduler.create_volume',
    priority: 'ERROR',
    publisher_id: 'scheduler.ctl-1',
    timestamp: stamp(T0 + 50),
    _context_request_id: REQ,
    payload: { volume_id: 'v1', reason: "NoValidBackend('No valid backend was found. No weighed backends available')" },
  });
  await p.scrape();
  const openMetrics = await openMetricsView(p.registry).metrics();
  const text = await p.registry.metrics();
  return { openMetrics, text };
}

const line = (body: string, prefix: string) => body.split('\n').find((l) => l.startsWith(prefix) && l.includes(' # {'));

describe('exemplars', () => {
  test('errors carry the request id and the instance id, at the notification time, in OpenMetrics only', async () => {
    const { openMetrics, text } = await scrapeBoth();
    assert.equal(
      line(openMetrics, 'openstack_instance_errors_total{'),
      `openstack_instance_errors_total{event_type="compute.instance.create.error",exception="NoValidHost",host="cmp-1"} 1 # {request_id="${REQ}",instance_id="${INSTANCE}"} 1 ${T0 + 7}`,
    );
    assert.equal(
      line(openMetrics, 'openstack_resource_errors_total{'),
      `openstack_resource_errors_total{service="cinder",event_type="scheduler.create_volume",exception="NoValidBackend"} 1 # {request_id="${REQ}",resource_id="v1"} 1 ${T0 + 50}`,
    );
    assert.ok(!text.includes('# {'), 'the text format has no exemplars');
    assert.ok(!openMetrics.includes('secret-token'));
  });

  test('durations carry the exemplar of the notification that ended them, on the bucket of their value', async () => {
    const { openMetrics } = await scrapeBoth();
    // The failed build took 7 s: bucket le=10 of the action durations.
    assert.equal(
      line(openMetrics, 'openstack_instance_action_duration_seconds_bucket{le="10",action="create",outcome="error"'),
      `openstack_instance_action_duration_seconds_bucket{le="10",action="create",outcome="error"} 1 # {request_id="${REQ}",instance_id="${INSTANCE}"} 7 ${T0 + 7}`,
    );
    // The build: 30 s from created_at to launched_at.
    assert.equal(
      line(openMetrics, 'openstack_instance_build_duration_seconds_bucket{'),
      `openstack_instance_build_duration_seconds_bucket{le="30",host="cmp-1"} 1 # {request_id="${REQ}",instance_id="other"} 30 ${T0 + 40}`,
    );
  });

  test('--metrics.exemplars=false: none, in either format', async () => {
    const { openMetrics } = await scrapeBoth({ 'metrics.exemplars': 'false' });
    assert.ok(openMetrics.includes('openstack_instance_errors_total{'));
    assert.ok(!openMetrics.includes('# {'));
  });

  test("the id is left out where it would pass OpenMetrics' 128 characters", () => {
    assert.deepEqual(exemplarLabels({ requestId: REQ, idLabel: 'resource_id', id: 'v1', at: 0 }), { request_id: REQ, resource_id: 'v1' });
    const arn = `arn:openstack:heat::0123456789abcdef0123456789abcdef:stacks/${'web'.repeat(10)}/${INSTANCE}`;
    const labels = exemplarLabels({ requestId: REQ, idLabel: 'resource_id', id: arn, at: 0 });
    assert.deepEqual(labels, { request_id: REQ });
    assert.ok(
      Object.entries(labels ?? {})
        .join('')
        .replaceAll(',', '').length <= MAX_EXEMPLAR_LABEL_CHARS,
    );
    assert.deepEqual(exemplarLabels({ requestId: undefined, idLabel: 'instance_id', id: INSTANCE, at: 0 }), { instance_id: INSTANCE });
    assert.equal(exemplarLabels({ requestId: undefined, idLabel: 'instance_id', id: undefined, at: 0 }), undefined);
  });
});
