import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { knownActions, loadMappings, parseMappingFile } from '../../src/mapping/index.js';
import { seriesOf } from '../support/metrics-text.js';
import { countingPipeline } from '../support/pipeline.js';

const T0 = Date.UTC(2026, 10, 25, 11) / 1000;
const stamp = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');

describe('actions in flight: known series at zero', () => {
  test('before any notification, every known instance action and every bound service action reads 0', async () => {
    const p = countingPipeline({ 'openstack.services': ['nova', 'cinder', 'heat'] });
    const s = await p.scrape();
    const actions = (name: string) => new Map(seriesOf(s, name).map((x) => [Object.values(x.labels).join('/'), x.value]));
    for (const name of ['openstack_instance_actions_in_flight', 'openstack_instance_action_oldest_in_flight_seconds']) {
      const a = actions(name);
      for (const action of ['create', 'delete', 'resize_prep', 'live_migration_pre', 'reboot'])
        assert.equal(a.get(action), 0, `${name} ${action}`);
    }
    for (const name of ['openstack_resource_actions_in_flight', 'openstack_resource_action_oldest_in_flight_seconds']) {
      const a = actions(name);
      for (const key of ['cinder/volume/create', 'cinder/volume/delete', 'cinder/backup/restore', 'heat/stack/create', 'heat/stack/delete'])
        assert.equal(a.get(key), 0, `${name} ${key}`);
      // Neutron is not bound: none of its series.
      assert.ok(![...a.keys()].some((k) => k.startsWith('neutron/')), name);
    }
  });

  test('an action that ends goes back to 0 instead of vanishing, also one no list names', async () => {
    const p = countingPipeline({ 'openstack.services': ['nova', 'cinder'] });
    p.clock.now = T0 + 60;
    const volume = (event: string, at: number) =>
      p.feed({
        event_type: event,
        priority: 'INFO',
        publisher_id: 'volume.c1@lvm',
        timestamp: stamp(at),
        payload: { volume_id: 'v1', status: 'x' },
      });
    assert.equal(volume('volume.migrate.start', T0), 'counted');
    let s = await p.scrape();
    const migrate = (samples: typeof s) =>
      seriesOf(samples, 'openstack_resource_actions_in_flight').find((x) => x.labels['action'] === 'migrate')?.value;
    assert.equal(migrate(s), 1);
    assert.equal(volume('volume.migrate.end', T0 + 5), 'counted');
    s = await p.scrape();
    assert.equal(migrate(s), 0);
  });

  test("the mapping's known actions: literal, mapped and listed ones of rules that can start", () => {
    const rules = parseMappingFile(
      `rules:
  - { name: a, event_type: 'share.*.*', service: manila, resource: share, action: '\${1}', phase: '\${2}', actions: [create, extend] }
  - { name: b, event_type: 'share.delete.*', service: manila, resource: share, action: delete, phase: '\${1}' }
  - { name: c, event_type: 'share.made', service: manila, resource: share, action: made, phase: end }
  - { name: d, event_type: 'x.*.*', service: manila, resource: '\${1}', action: '\${2}', phase: start }
`,
      'test.yaml',
    );
    assert.deepEqual(
      knownActions(rules).map((a) => `${a.service}/${a.resource}/${a.action}`),
      ['manila/share/create', 'manila/share/extend', 'manila/share/delete'],
    );
    const builtin = knownActions(loadMappings()).map((a) => `${a.service}/${a.resource}/${a.action}`);
    for (const key of ['ironic/node/provision', 'heat/autoscaling_group/scale', 'glance/image/upload'])
      assert.ok(builtin.includes(key), key);
    assert.ok(!builtin.includes('glance/image/create'), 'Glance sends image.create once, at the end');
  });
});
