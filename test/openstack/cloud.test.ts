/**
 * A real OpenStack (Debian 12's Zed: scripts/openstack-up) driven through its API, and the
 * exporter's figures held against the cloud's own records: Nova's instance actions, its
 * server list, Keystone's refusals, the images, networks, ports and stacks made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, runExporter, type RunningExporter } from '../support/exporter.js';
import { seriesOf, valueOf, type Sample } from '../support/metrics-text.js';
import { expectedActions, type NovaRecords } from '../support/instance-actions.js';
import { openstackUp, type Cloud } from '../support/openstack.js';

interface ServicesRun {
  readonly refused: number;
  readonly images: { created: number; deleted: number };
  readonly networks: { created: number; deleted: number };
  readonly subnets: { created: number; deleted: number };
  readonly ports: { created: number; deleted: number };
  readonly stacks: { created: number; deleted: number };
}

function actionCounts(samples: readonly Sample[], phase: string): Map<string, number> {
  const got = new Map<string, number>();
  for (const s of seriesOf(samples, 'openstack_instance_actions_total')) {
    if (s.labels['phase'] !== phase || s.value === 0) continue;
    const action = s.labels['action'] as string;
    got.set(action, (got.get(action) ?? 0) + s.value);
  }
  return got;
}

const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));

describe('a real OpenStack, counted against its own records', { timeout: 40 * 60_000 }, () => {
  let cloud: Cloud;
  let exporter: RunningExporter;
  let nova: NovaRecords | undefined;

  before(async () => {
    cloud = await openstackUp('unversioned');
    exporter = await runExporter({
      'amqp.url': cloud.amqpUrl,
      'openstack.services': ['nova', 'keystone', 'glance', 'neutron', 'heat'],
      'nova.notification-format': 'unversioned',
    });
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200), 60_000, 200);
  });

  after(async () => {
    await exporter?.stop();
    await cloud?.down();
  });

  it('counts each instance action Nova records, start and end, and the servers it lists', async () => {
    nova = await cloud.drive<NovaRecords>('nova');
    await holdNova(exporter, nova);
  });

  it('counts Keystone refusals and the images, networks, ports and stacks made', async () => {
    const run = await cloud.drive<ServicesRun>('services');
    // Shelving uploads a snapshot to Glance and unshelving deletes it: Glance counts those too.
    const shelves = Object.values(nova?.actions ?? {})
      .flat()
      .filter((a) => a.action === 'shelve').length;
    await eventually(
      async () => {
        const samples = await exporter.scrape();
        assert.equal(valueOf(samples, 'openstack_identity_authentications_total', { outcome: 'failure' }), run.refused);
        const actions = (service: string, resource: string, action: string) =>
          valueOf(samples, 'openstack_resource_actions_total', { service, resource, action, phase: 'end' });
        assert.equal(actions('glance', 'image', 'create'), run.images.created + shelves);
        assert.equal(actions('glance', 'image', 'delete'), run.images.deleted + shelves);
        assert.equal(actions('neutron', 'network', 'create'), run.networks.created);
        assert.equal(actions('neutron', 'network', 'delete'), run.networks.deleted);
        assert.equal(actions('neutron', 'subnet', 'create'), run.subnets.created);
        assert.equal(actions('neutron', 'port', 'create'), run.ports.created);
        assert.equal(actions('neutron', 'port', 'delete'), run.ports.deleted);
        assert.equal(actions('heat', 'stack', 'create'), run.stacks.created);
        assert.equal(actions('heat', 'stack', 'delete'), run.stacks.deleted);
      },
      180_000,
      500,
    );
  });

  it('with notification_format = both, counts each action and the NoValidHost once', async () => {
    // The first run's servers go, so that this run's server list is its own.
    await cloud.drive('cleanup');
    await cloud.reformat('both');
    await exporter.stop();
    // A queue of its own: the first one's bindings know only the unversioned topic.
    exporter = await runExporter({
      'amqp.url': cloud.amqpUrl,
      'amqp.queue': 'osne-both',
      'openstack.services': ['nova'],
      'nova.notification-format': 'both',
    });
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200), 60_000, 200);
    await holdNova(exporter, await cloud.drive<NovaRecords>('nova'));
  });
});

/** The exporter's Nova figures against one drive.py nova run's records. */
async function holdNova(exporter: RunningExporter, run: NovaRecords): Promise<void> {
  const expected = expectedActions(run);
  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  // Sentinel: poll until every action is counted (the last driven is osne-d's delete).
  await eventually(
    async () => {
      const samples = await exporter.scrape();
      assert.deepEqual(sorted(actionCounts(samples, 'end')), sorted(expected));
      assert.deepEqual(sorted(actionCounts(samples, 'start')), sorted(expected));
    },
    180_000,
    500,
  );
  const samples = await exporter.scrape();
  assert.deepEqual(sorted(actionCounts(samples, 'error')), {});
  // Every successful action timed once, every build once.
  assert.equal(valueOf(samples, 'openstack_instance_action_duration_seconds_count', { outcome: 'success' }), total);
  assert.equal(valueOf(samples, 'openstack_instance_build_duration_seconds_count'), expected.get('create'));
  // Servers by state and host, as Nova lists them (osne-c never got a host: docs/nova.md).
  for (const s of run.servers.filter((x) => x.host)) {
    const listed = run.servers.filter((x) => x.vm_state === s.vm_state && x.host === s.host).length;
    assert.equal(
      valueOf(samples, 'openstack_instances', { state: s.vm_state, host: s.host as string }),
      listed,
      `${s.vm_state} on ${s.host}`,
    );
  }
  // NoValidHost, in the default unversioned format too, once.
  assert.match(run.fault?.message ?? '', /No valid host/);
  assert.equal(valueOf(samples, 'openstack_instance_errors_total'), 1);
  assert.equal(valueOf(samples, 'openstack_instance_errors_total', { exception: 'NoValidHost' }), 1);
}
