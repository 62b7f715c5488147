import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LabelLimiter } from '../../src/metrics/labels.js';
import {
  candidateRules,
  createResourceBound,
  compileMapping,
  explainNotification,
  loadMappings,
  mapServiceNotification,
  parseMappingFile,
} from '../../src/mapping/index.js';
import { fromInner } from '../../src/pipeline/decode.js';
import type { Notification } from '../../src/pipeline/notification.js';

function notification(inner: Record<string, unknown>, exchange = ''): Notification {
  const r = fromInner({ publisher_id: 'svc.host-1', priority: 'INFO', timestamp: '2026-01-02 03:04:05', ...inner }, 'v2', exchange);
  assert.ok(r.ok);
  return r.notification;
}

const mapping = (yaml: string) => compileMapping(parseMappingFile(yaml, 'test.yaml'));
const builtin = compileMapping(loadMappings());
const AT = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000;

describe('the mapping engine', () => {
  test('captures feed resource, action and phase; the first matching rule wins', () => {
    const m = mapping(`rules:
  - { name: first, event_type: thing.special.end, service: s, resource: special, action: once, phase: end }
  - { name: any, event_type: '*.*.*', service: s, resource: '\${1}', action: '\${2}', phase: '\${3}', resource_id: id }
`);
    assert.deepEqual(mapServiceNotification(m, notification({ event_type: 'widget.spin.start', payload: { id: 'w1' } })), [
      { kind: 'action', service: 's', resource: 'widget', action: 'spin', phase: 'start', host: 'host-1', resourceId: 'w1', at: AT },
    ]);
    assert.equal(explainNotification(m, notification({ event_type: 'thing.special.end' })).rule?.name, 'first');
  });

  test('a * matches one segment only', () => {
    const m = mapping("rules:\n  - { name: r, event_type: 'volume.*', service: s, resource: v, action: x, phase: end }\n");
    assert.equal(mapServiceNotification(m, notification({ event_type: 'volume.usage' })).length, 1);
    assert.equal(mapServiceNotification(m, notification({ event_type: 'volume.usage.more' })).length, 0);
  });

  test('exchange and publisher conditions; an unknown exchange ("" from a file) matches any', () => {
    const m = mapping(
      'rules:\n  - { name: r, event_type: a.b, exchange: [cinder, openstack], publisher: volume, service: s, resource: v, action: x, phase: end }\n',
    );
    const n = (exchange: string, publisher_id: string) =>
      mapServiceNotification(m, notification({ event_type: 'a.b', publisher_id }, exchange)).length;
    assert.equal(n('cinder', 'volume.h'), 1);
    assert.equal(n('openstack', 'volume.h'), 1);
    assert.equal(n('', 'volume.h'), 1);
    assert.equal(n('nova', 'volume.h'), 0);
    assert.equal(n('cinder', 'scheduler.h'), 0);
  });

  test('paths look through versioned objects and Neutron nesting; the first path found wins', () => {
    const ironic = notification({
      event_type: 'baremetal.node.provision_set.end',
      publisher_id: 'ironic-conductor.cond-1',
      payload: { 'ironic_object.name': 'NodeSetProvisionStatePayload', 'ironic_object.data': { uuid: 'n1', provision_state: 'active' } },
    });
    assert.deepEqual(mapServiceNotification(builtin, ironic), [
      { kind: 'action', service: 'ironic', resource: 'node', action: 'provision', phase: 'end', host: 'cond-1', resourceId: 'n1', at: AT },
      { kind: 'status', service: 'ironic', resource: 'node', resourceId: 'n1', status: 'active', host: 'cond-1', audit: false, at: AT },
    ]);
    const deleted = notification({ event_type: 'port.delete.end', publisher_id: 'network.net-1', payload: { port_id: 'p1' } });
    assert.deepEqual(mapServiceNotification(builtin, deleted), [
      { kind: 'action', service: 'neutron', resource: 'port', action: 'delete', phase: 'end', host: 'net-1', resourceId: 'p1', at: AT },
      { kind: 'removed', service: 'neutron', resource: 'port', resourceId: 'p1', at: AT },
    ]);
  });

  test('ERROR priority makes the phase error and adds an error fact; a failed delete removes nothing', () => {
    const facts = mapServiceNotification(
      builtin,
      notification({
        event_type: 'orchestration.stack.delete.error',
        priority: 'ERROR',
        publisher_id: 'orchestration.heat-1',
        payload: { stack_identity: 'arn:s1', state: 'DELETE_FAILED' },
      }),
    );
    assert.deepEqual(facts, [
      {
        kind: 'action',
        service: 'heat',
        resource: 'stack',
        action: 'delete',
        phase: 'error',
        host: 'heat-1',
        resourceId: 'arn:s1',
        at: AT,
      },
      { kind: 'error', service: 'heat', eventType: 'orchestration.stack.delete.error', exception: 'unknown', host: 'heat-1' },
    ]);
    const upload = mapServiceNotification(
      builtin,
      notification({ event_type: 'image.upload', priority: 'ERROR', publisher_id: 'image.g1', payload: { id: 'i1', status: 'saving' } }),
    );
    assert.deepEqual(
      upload.map((f) => [f.kind, 'phase' in f ? f.phase : '']),
      [
        ['action', 'error'],
        ['error', ''],
        ['status', ''],
      ],
    );
  });

  test('a delete start keeps the resource; its end removes it; an audit refreshes it', () => {
    const kinds = (event_type: string) =>
      mapServiceNotification(
        builtin,
        notification({ event_type, publisher_id: 'volume.c1@lvm#pool', payload: { volume_id: 'v1', status: 'deleting' } }),
      ).map((f) => f.kind);
    assert.deepEqual(kinds('volume.delete.start'), ['action']);
    assert.deepEqual(kinds('volume.delete.end'), ['action', 'removed']);
    const audit = mapServiceNotification(
      builtin,
      notification({ event_type: 'volume.exists', publisher_id: 'volume.c1@lvm#pool', payload: { volume_id: 'v1', status: 'available' } }),
    );
    assert.deepEqual(audit, [
      { kind: 'status', service: 'cinder', resource: 'volume', resourceId: 'v1', status: 'available', host: 'c1@lvm', audit: true, at: AT },
    ]);
  });

  test('Keystone: authentications by outcome only, anything unexpected is unknown', () => {
    const auth = (outcome: unknown) =>
      mapServiceNotification(
        builtin,
        notification({ event_type: 'identity.authenticate', payload: { outcome, initiator: { host: { address: '10.0.0.1' } } } }),
      );
    assert.deepEqual(auth('failure'), [{ kind: 'authentication', outcome: 'failure' }]);
    assert.deepEqual(auth('SUCCESS'), [{ kind: 'authentication', outcome: 'success' }]);
    assert.deepEqual(auth('denied'), [{ kind: 'authentication', outcome: 'unknown' }]);
    assert.deepEqual(auth(undefined), [{ kind: 'authentication', outcome: 'unknown' }]);
  });

  test('an exception value must look like a class name, not a message', () => {
    const m = mapping(
      "rules:\n  - { name: r, event_type: a.*, service: s, resource: r, action: x, phase: '${1}', exception: error.class }\n",
    );
    const exc = (cls: unknown) => {
      const f = mapServiceNotification(m, notification({ event_type: 'a.error', payload: { error: { class: cls } } })).find(
        (x) => x.kind === 'error',
      );
      return f && f.kind === 'error' ? f.exception : undefined;
    };
    assert.equal(exc('VolumeBackendAPIException'), 'VolumeBackendAPIException');
    assert.equal(exc('power failure'), 'power failure');
    assert.equal(exc('Failed to create the volume on host c1 because the backend said no'), 'unknown');
    assert.equal(exc(undefined), 'unknown');
  });

  test('explain says why nothing matched', () => {
    assert.deepEqual(explainNotification(builtin, notification({ event_type: 'compute.instance.update' })).notes, [
      "no rule has an event_type starting with 'compute.'",
    ]);
    const member = explainNotification(builtin, notification({ event_type: 'image.member.create' }));
    assert.equal(member.rule, undefined);
    assert.match(member.notes.at(-1) ?? '', /^no rule's event_type matches image.member.create \(tried glance-image-create, /);
    const bulk = explainNotification(builtin, notification({ event_type: 'router.interface.start', payload: {} }));
    assert.deepEqual(bulk.notes, ['rule neutron-router-interface: no resource id in the payload']);
  });

  test('the index: Nova event types reach no rule, and no built-in rule is unprefixed', () => {
    assert.deepEqual(builtin.unprefixed, []);
    for (const prefix of [
      'compute',
      'instance',
      'compute_task',
      'libvirt',
      'flavor',
      'aggregate',
      'keypair',
      'server_group',
      'metrics',
      'service',
    ]) {
      assert.equal(builtin.byPrefix.get(prefix), undefined, prefix);
    }
    // A rule with a leading * sits in every bucket, in order.
    const m = mapping(`rules:
  - { name: a, event_type: x.y, service: s, resource: r, action: a, phase: end }
  - { name: star, event_type: '*.z', service: s, resource: r, action: a, phase: end }
  - { name: b, event_type: x.z, service: s, resource: r, action: b, phase: end }
`);
    assert.deepEqual(
      candidateRules(m, 'x.z').map((r) => r.name),
      ['a', 'star', 'b'],
    );
    assert.deepEqual(
      candidateRules(m, 'other.z').map((r) => r.name),
      ['star'],
    );
    assert.equal(explainNotification(m, notification({ event_type: 'x.z' })).rule?.name, 'star');
  });

  test('host templates: Cinder keeps host@backend and drops the pool', () => {
    const f = mapServiceNotification(
      builtin,
      notification({
        event_type: 'snapshot.create.start',
        publisher_id: 'snapshot.stor-1@ceph#fast',
        payload: { snapshot_id: 's1', status: 'creating' },
      }),
    );
    assert.equal(f[0]?.kind === 'action' && f[0].host, 'stor-1@ceph');
  });
});

describe('createResourceBound', () => {
  test('caps every label value once with the shared limiter; ids and fixed sets stay as they are', () => {
    const overflowed: string[] = [];
    const limiter = new LabelLimiter(
      (label) => (label === 'resource' ? 1 : 10),
      (label) => overflowed.push(label),
    );
    const boundResourceFact = createResourceBound(limiter);
    const a = boundResourceFact({
      kind: 'action',
      service: 'cinder',
      resource: 'volume',
      action: 'create',
      phase: 'start',
      host: 'h',
      resourceId: 'v1',
    });
    const b = boundResourceFact({
      kind: 'status',
      service: 'cinder',
      resource: 'snapshot',
      resourceId: 's1',
      status: 'x'.repeat(200),
      host: 'h',
      audit: false,
    });
    assert.deepEqual(a, {
      kind: 'action',
      service: 'cinder',
      resource: 'volume',
      action: 'create',
      phase: 'start',
      host: 'h',
      resourceId: 'v1',
    });
    assert.equal(b.kind === 'status' && b.resource, 'other');
    assert.equal(b.kind === 'status' && b.status.length, 128);
    assert.equal(b.kind === 'status' && b.resourceId, 's1');
    assert.deepEqual(overflowed, ['resource']);
    assert.deepEqual(boundResourceFact({ kind: 'authentication', outcome: 'failure' }), {
      kind: 'authentication',
      outcome: 'failure',
    });
  });
});
