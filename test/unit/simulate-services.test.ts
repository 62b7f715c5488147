import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileMapping, loadMappings, mapServiceNotification, SERVICES } from '../../src/mapping/index.js';
import { fromInner } from '../../src/pipeline/decode.js';
import { createCloudTrafficModel } from '../../src/simulate/cloud.js';
import { createTrafficModel, type SimulatedMessage, type TrafficModel } from '../../src/simulate/model.js';

const fixedClock = () => Date.UTC(2026, 10, 25, 9, 58, 0);
const base = { seed: 42, hosts: 4, format: 'unversioned', errorRatio: 0.2, exists: true, existsEvery: 50, now: fixedClock } as const;
const take = (m: TrafficModel, n: number): SimulatedMessage[] => Array.from({ length: n }, () => m.next());
const ALL = ['nova', 'cinder', 'neutron', 'glance', 'keystone', 'heat', 'octavia', 'ironic'];

describe('the simulated cloud beyond Nova', () => {
  test('a seed gives the same traffic however the wall clock moves while it publishes', () => {
    // A paced run on a busy machine or a slow broker: the clock jumps ahead between messages.
    const jittery = (): (() => number) => {
      let n = 0;
      return () => fixedClock() + (n++ % 7) * 3_600_000;
    };
    for (const services of [['nova'], ['nova', 'cinder', 'keystone'], ['neutron']]) {
      const steady = take(createCloudTrafficModel({ ...base, services, ratePerSecond: 50 }), 1000);
      const shaken = take(createCloudTrafficModel({ ...base, services, ratePerSecond: 50, now: jittery() }), 1000);
      assert.deepEqual(JSON.stringify(shaken), JSON.stringify(steady), services.join(','));
    }
  });

  test('nova alone is the Nova model, byte for byte', () => {
    assert.deepEqual(
      JSON.stringify(take(createCloudTrafficModel({ ...base, services: ['nova'] }), 600)),
      JSON.stringify(take(createTrafficModel(base), 600)),
    );
    assert.deepEqual(JSON.stringify(take(createCloudTrafficModel(base), 100)), JSON.stringify(take(createTrafficModel(base), 100)));
  });

  test("adding services leaves Nova's own messages unchanged, in order", () => {
    const mixed = take(createCloudTrafficModel({ ...base, services: ALL }), 3000);
    const novaPart = mixed.filter((m) => m.exchange === undefined);
    // Nova 3 parts, each of the 7 others 1: about 30%.
    assert.ok(novaPart.length > 700 && novaPart.length < 1100, `${novaPart.length} Nova messages`);
    assert.equal(JSON.stringify(novaPart), JSON.stringify(take(createTrafficModel(base), novaPart.length)));
  });

  test('the same seed gives the same bytes; another seed differs', () => {
    const a = JSON.stringify(take(createCloudTrafficModel({ ...base, services: ALL }), 500));
    assert.equal(JSON.stringify(take(createCloudTrafficModel({ ...base, services: ALL }), 500)), a);
    assert.notEqual(JSON.stringify(take(createCloudTrafficModel({ ...base, seed: 43, services: ALL }), 500)), a);
  });

  test("every service's messages go to its exchange and topic, and the built-in mapping understands them", () => {
    const mapping = compileMapping(loadMappings());
    const messages = take(createCloudTrafficModel({ ...base, services: ALL.filter((s) => s !== 'nova') }), 4000);
    const seen = new Map<string, { messages: number; facts: Set<string>; errors: number }>();
    let last = 0;
    for (const m of messages) {
      assert.ok(m.exchange, 'a service message names its exchange');
      const binding = Object.values(SERVICES).find((s) => s.exchanges.includes(m.exchange as string));
      assert.ok(binding, m.exchange);
      assert.equal(m.routingKey, `${binding.topics[0]}.${m.message.priority.toLowerCase()}`);
      const decoded = fromInner(m.message as unknown as Record<string, unknown>, 'v2', m.exchange);
      assert.ok(decoded.ok);
      const at = decoded.notification.timestampSeconds ?? 0;
      assert.ok(at >= last, 'simulated time never goes back');
      last = at;
      const facts = mapServiceNotification(mapping, decoded.notification);
      assert.ok(facts.length > 0, `${m.message.event_type} maps to nothing`);
      const entry = seen.get(binding.name) ?? { messages: 0, facts: new Set<string>(), errors: 0 };
      entry.messages++;
      for (const f of facts) entry.facts.add(f.kind === 'action' ? `${f.kind}:${f.phase}` : f.kind);
      if (m.message.priority === 'ERROR') entry.errors++;
      seen.set(binding.name, entry);
    }
    assert.deepEqual([...seen.keys()].sort(), ALL.filter((s) => s !== 'nova').sort());
    for (const s of ['cinder', 'glance', 'heat', 'ironic']) assert.ok((seen.get(s)?.errors ?? 0) > 0, `${s} never fails`);
    for (const s of ['cinder', 'neutron', 'heat', 'ironic']) {
      for (const kind of ['action:start', 'action:end', 'status']) assert.ok(seen.get(s)?.facts.has(kind), `${s}: no ${kind}`);
    }
    assert.ok(seen.get('keystone')?.facts.has('authentication'));
    assert.ok(seen.get('neutron')?.facts.has('removed'));
  });

  test('an unknown service is refused by name', () => {
    assert.throws(() => createCloudTrafficModel({ ...base, services: ['nova', 'swift'] }), {
      message: /^unknown service 'swift' \(known: nova, cinder, /,
    });
  });
});
