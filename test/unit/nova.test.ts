import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromInner } from '../../src/pipeline/decode.js';
import { instanceEvent, instanceEventName } from '../../src/nova/mapper.js';

describe('instanceEventName folds legacy and versioned spellings together', () => {
  const cases: [string, string, string | undefined][] = [
    ['compute.instance.create.start', 'create', 'start'],
    ['instance.create.start', 'create', 'start'],
    ['compute.instance.resize.prep.start', 'resize_prep', 'start'],
    ['instance.resize_prep.start', 'resize_prep', 'start'],
    ['compute.instance.finish_resize.end', 'resize_finish', 'end'],
    ['instance.resize_finish.end', 'resize_finish', 'end'],
    ['compute.instance.live_migration._post.start', 'live_migration_post', 'start'],
    ['instance.live_migration_post.start', 'live_migration_post', 'start'],
    ['compute.instance.live_migration.post.dest.end', 'live_migration_post_dest', 'end'],
    ['compute.instance.create.error', 'create', 'error'],
    ['compute.instance.update', 'update', undefined],
    ['instance.exists', 'exists', undefined],
  ];
  for (const [eventType, action, phase] of cases) {
    test(eventType, () => assert.deepEqual(instanceEventName({ eventType }), { action, phase }));
  }
  test('is undefined for events that are not about an instance', () => {
    for (const eventType of ['compute.instance', 'instance.', 'aggregate.create.start', 'volume.create.end']) {
      assert.equal(instanceEventName({ eventType }), undefined, eventType);
    }
  });
});

function event(inner: Record<string, unknown>) {
  const r = fromInner(inner, 'v1');
  assert.ok(r.ok);
  return instanceEvent(r.notification);
}

describe('instanceEvent', () => {
  test('reads a legacy update transition and a null task state as none', () => {
    const e = event({
      event_type: 'compute.instance.update',
      priority: 'INFO',
      publisher_id: 'compute.c1',
      payload: { instance_id: 'i1', host: 'c1', old_state: 'building', state: 'active', old_task_state: 'spawning', new_task_state: null },
    });
    assert.deepEqual(e?.stateTransition, { from: 'building', to: 'active' });
    assert.deepEqual(e?.taskStateTransition, { from: 'spawning', to: 'none' });
    assert.equal(e?.instanceId, 'i1');
  });

  test('ignores a wrong-typed state instead of inventing a transition', () => {
    const e = event({
      event_type: 'compute.instance.update',
      publisher_id: 'compute.c1',
      payload: { old_state: 3, state: 'active' },
    });
    assert.equal(e?.stateTransition, undefined);
  });

  test('reads a versioned transition from state_update, not the top-level state', () => {
    const e = event({
      event_type: 'instance.update',
      priority: 'INFO',
      publisher_id: 'nova-compute:c1',
      payload: {
        'nova_object.name': 'InstanceUpdatePayload',
        'nova_object.data': {
          uuid: 'u1',
          host: 'c1',
          state: 'active',
          state_update: {
            'nova_object.name': 'InstanceStateUpdatePayload',
            'nova_object.data': { old_state: 'active', state: 'stopped', old_task_state: 'powering-off', new_task_state: null },
          },
        },
      },
    });
    assert.deepEqual(e?.stateTransition, { from: 'active', to: 'stopped' });
    assert.deepEqual(e?.taskStateTransition, { from: 'powering-off', to: 'none' });
  });

  test('takes the exception class from a legacy string, or recognises the message; never the message text', () => {
    const base = { event_type: 'compute.instance.create.error', priority: 'ERROR', publisher_id: 'compute.c1' };
    assert.equal(event({ ...base, payload: { exception: 'NoValidHost' } })?.exception, 'NoValidHost');
    assert.equal(
      event({ ...base, payload: { exception: 'No valid host was found. There are not enough hosts' } })?.exception,
      'NoValidHost',
    );
    assert.equal(event({ ...base, payload: { exception: { kwargs: { code: 400 } } } })?.exception, 'unknown');
    assert.equal(
      event({
        ...base,
        payload: {
          exception: { kwargs: { code: 500 } },
          message: 'Binding failed for port 8c1f, please check neutron logs for more information.',
        },
      })?.exception,
      'PortBindingFailed',
    );
    assert.equal(event({ ...base, payload: { message: 'Something nobody wrote a template for.', code: 500 } })?.exception, 'unknown');
  });

  test('counts an ERROR under a Nova prefix as an error even without an instance', () => {
    const e = event({ event_type: 'scheduler.select_destinations.error', priority: 'ERROR', publisher_id: 'scheduler.s1', payload: {} });
    assert.equal(e?.isError, true);
    assert.equal(e?.action, undefined);
    assert.equal(event({ event_type: 'volume.create.end', priority: 'ERROR', publisher_id: 'volume.v1', payload: {} }), undefined);
  });

  test('measures build time only on create end with both times', () => {
    const base = { event_type: 'compute.instance.create.end', priority: 'INFO', publisher_id: 'compute.c1' };
    assert.equal(
      event({ ...base, payload: { created_at: '2026-01-01 00:00:00', launched_at: '2026-01-01T00:01:30.000000' } })?.buildDurationSeconds,
      90,
    );
    assert.equal(event({ ...base, payload: { created_at: '2026-01-01 00:00:00', launched_at: '' } })?.buildDurationSeconds, undefined);
    assert.equal(
      event({ ...base, payload: { created_at: '2026-01-01 00:00:00', launched_at: '2025-01-01 00:00:00' } })?.buildDurationSeconds,
      undefined,
    );
  });
});
