import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { buildConfig } from '../../src/config/config.js';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { RecentActivity } from '../../src/metrics/recent-activity.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { facts } from '../support/facts.js';
import { fixtureFiles, readFixture } from '../support/fixtures.js';
import { parseMetrics, seriesOf, valueOf } from '../support/metrics-text.js';

describe('recent activity', () => {
  test('averages the rate over the last ten whole seconds', () => {
    const clock = { now: 1000 };
    const a = new RecentActivity({ now: () => clock.now });
    for (let s = 1000; s < 1015; s++) {
      for (let n = 0; n < 5; n++) a.record(facts({ eventType: 'x', host: 'h' }, undefined, s + 0.25));
    }
    clock.now = 1015.5;
    assert.equal(a.summary().ratePerSecond, 5);
    clock.now = 1020.5; // five of the ten seconds empty
    assert.equal(a.summary().ratePerSecond, 2.5);
    clock.now = 1100;
    assert.equal(a.summary().ratePerSecond, 0);
    assert.equal(a.summary().total, 75);
  });

  test('ranks the top ten by count, ties by name', () => {
    const a = new RecentActivity({ now: () => 0 });
    for (let i = 0; i < 12; i++)
      for (let n = 0; n <= i; n++) a.record(facts({ eventType: `e${String(i).padStart(2, '0')}`, host: n % 2 ? 'b' : 'a' }));
    a.record(facts({ eventType: 'e00', host: 'c' }));
    const s = a.summary();
    assert.deepEqual(
      s.eventTypes.map((t) => [t.name, t.count]),
      [
        ['e11', 12],
        ['e10', 11],
        ['e09', 10],
        ['e08', 9],
        ['e07', 8],
        ['e06', 7],
        ['e05', 6],
        ['e04', 5],
        ['e03', 4],
        ['e02', 3],
      ],
    );
    assert.deepEqual(
      s.hosts.map((t) => t.name),
      ['a', 'b', 'c'],
    );
  });

  test('keeps the newest twenty transitions and errors, newest first, as the labels read', () => {
    const a = new RecentActivity({ now: () => 0 });
    for (let n = 0; n < 25; n++) {
      a.record(
        facts(
          { eventType: 'instance.update' },
          { instanceId: `i-${n}`, host: 'CMP-1', stateTransition: { from: 'building', to: 'active' } },
          n,
        ),
      );
      a.record(
        facts({ eventType: 'instance.create.error' }, { isError: true, host: 'CMP-1', exception: n % 2 ? 'NoValidHost' : undefined }, n),
      );
    }
    const s = a.summary();
    assert.equal(s.transitions.length, 20);
    assert.deepEqual(
      s.transitions.map((t) => t.instance),
      Array.from({ length: 20 }, (_, i) => `i-${24 - i}`),
    );
    assert.deepEqual(s.transitions[0], { at: 24, instance: 'i-24', host: 'CMP-1', from: 'building', to: 'active' });
    assert.equal(s.errors.length, 20);
    assert.deepEqual(s.errors[0], { at: 24, eventType: 'instance.create.error', host: 'CMP-1', exception: 'unknown' });
    assert.equal(s.errors[1]?.exception, 'NoValidHost');
  });
});

describe('recent activity in the counting pipeline', () => {
  test('agrees with the registry for every fixture, label caps included', async () => {
    for (const flags of [{ 'nova.notification-format': 'both' }, { 'metrics.max-hosts': '3' }]) {
      const registry = createRegistry();
      const log = createLogger({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
      const { pipeline, activity } = createCountingPipeline(buildConfig(flags, {}), registry, log, () => 1_800_000_000);
      const files = fixtureFiles();
      for (const f of files)
        pipeline(Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(readFixture(f)) })));
      const samples = parseMetrics(await registry.metrics());
      const s = activity.summary();
      assert.equal(s.total, valueOf(samples, 'openstack_notifications_total'));
      for (const t of s.eventTypes)
        assert.equal(t.count, valueOf(samples, 'openstack_notifications_total', { event_type: t.name }), t.name);
      for (const h of s.hosts) assert.equal(h.count, valueOf(samples, 'openstack_notifications_total', { host: h.name }), h.name);
      assert.equal(s.transitions.length, Math.min(20, valueOf(samples, 'openstack_instance_state_transitions_total')));
      for (const t of s.transitions) {
        assert.ok(
          valueOf(samples, 'openstack_instance_state_transitions_total', { from_state: t.from, to_state: t.to, host: t.host }) >= 1,
        );
      }
      assert.equal(s.errors.length, Math.min(20, valueOf(samples, 'openstack_instance_errors_total')));
      for (const e of s.errors) {
        assert.ok(
          valueOf(samples, 'openstack_instance_errors_total', { event_type: e.eventType, exception: e.exception, host: e.host }) >= 1,
        );
      }
      if (flags['metrics.max-hosts']) {
        assert.ok(s.hosts.some((h) => h.name === 'other'));
        assert.ok(seriesOf(samples, 'openstack_notifications_total').some((x) => x.labels['host'] === 'other'));
      }
    }
  });
});
