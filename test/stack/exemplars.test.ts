import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { osloNotify } from '../support/oslo.js';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus.js';
import { createVhost, type Vhost } from '../support/vhost.js';

/**
 * From a failed build to its request: Nova's own publisher sends a build's start and its
 * error under one request context, the exporter counts them, and a real Prometheus with
 * exemplar storage scrapes it in OpenMetrics (as it asks by default) and returns the request
 * id with the error counter and the action duration.
 */

const REQUEST_ID = 'req-5b0e7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b';
const INSTANCE = '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d';
const HOST = 'cmp-9';

describe('an exemplar leads from a failed build to its request id', { timeout: 120_000 }, () => {
  let vhost: Vhost;
  let exporter: RunningExporter;
  let prometheus: RunningPrometheus;

  before(async () => {
    vhost = await createVhost();
    exporter = await runExporter({}, { AMQP_URL: vhost.url });
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
    prometheus = await startPrometheus({ target: new URL(exporter.baseUrl).host, features: ['exemplar-storage'] });
  });

  after(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    await vhost?.remove();
  });

  test('query_exemplars returns the request id the notifications carried', async () => {
    const payload = (state: string) => ({ instance_id: INSTANCE, host: HOST, state });
    await osloNotify({
      url: vhost.url.replace(/^amqp:/, 'rabbit:'),
      exchange: 'nova',
      driver: 'messagingv2',
      publisher_id: `compute.${HOST}`,
      topics: ['notifications'],
      context: { request_id: REQUEST_ID, user_id: 'u1', project_id: 'p1' },
      notifications: [
        { priority: 'info', event_type: 'compute.instance.create.start', payload: payload('building') },
        {
          priority: 'error',
          event_type: 'compute.instance.create.error',
          payload: { ...payload('error'), message: 'No valid host was found. There are not enough hosts available.', code: 500 },
        },
      ],
    });
    for (const expr of [
      `openstack_instance_errors_total{host="${HOST}",exception="NoValidHost"}`,
      `openstack_instance_action_duration_seconds_bucket{action="create",outcome="error"}`,
    ]) {
      const found = await eventually(
        async () => {
          const r = await prometheus.exemplars(expr, 300);
          assert.equal(r.status, 'success', r.error);
          const exemplars = (r.data ?? []).flatMap((s) => s.exemplars);
          assert.ok(exemplars.length > 0, `no exemplar yet for ${expr}`);
          return exemplars;
        },
        60_000,
        500,
      );
      assert.deepEqual(found[0]?.labels, { request_id: REQUEST_ID, instance_id: INSTANCE }, expr);
    }
  });
});
