import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTrafficModel, type SimulatedMessage, type TrafficModelOptions } from '../../src/simulate/model.js';
import { createProgressBar, renderProgressLine } from '../../src/simulate/progress.js';
import { createRng } from '../../src/simulate/random.js';

const T0 = Date.UTC(2026, 10, 25, 9, 58, 10);
const fixedClock = (): number => T0;

function model(over: Partial<TrafficModelOptions> = {}) {
  return createTrafficModel({ seed: 42, hosts: 4, format: 'unversioned', errorRatio: 0.2, exists: false, now: fixedClock, ...over });
}

function take(m: { next(): SimulatedMessage }, n: number): SimulatedMessage[] {
  return Array.from({ length: n }, () => m.next());
}

type Obj = Record<string, unknown>;
const data = (m: SimulatedMessage): Obj => {
  const p = m.message.payload;
  return (p['nova_object.data'] as Obj | undefined) ?? p;
};
/** Instance uuid whatever the format or event (the scheduler error nests it). */
function instanceId(m: SimulatedMessage): string {
  const d = data(m);
  const spec = (d.request_spec as { instance_properties?: { uuid?: string } } | undefined)?.instance_properties;
  return String(d.instance_id ?? d.uuid ?? d.instance_uuid ?? spec?.uuid);
}
/** [old_state, state] of an update in either format. */
function transition(m: SimulatedMessage): [string, string] {
  const d = data(m);
  const su = (d.state_update as Obj | undefined)?.['nova_object.data'] as Obj | undefined;
  return su ? [String(su.old_state), String(su.state)] : [String(d.old_state), String(d.state)];
}
const isUpdate = (m: SimulatedMessage): boolean => /^(compute\.)?instance\.update$/.test(m.message.event_type);

describe('random', () => {
  it('is reproducible and stays in range', () => {
    const a = createRng(7);
    const b = createRng(7);
    const xs = Array.from({ length: 1000 }, () => a.int(3, 9));
    assert.deepEqual(
      xs,
      Array.from({ length: 1000 }, () => b.int(3, 9)),
    );
    assert.ok(xs.every((x) => x >= 3 && x <= 9));
    assert.equal(new Set(xs).size, 7);
    assert.match(a.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(createRng(8).next(), createRng(7).next());
  });
});

describe('traffic model', () => {
  it('same seed gives the identical sequence; another seed differs', () => {
    const a = take(model({ exists: true, existsEvery: 50 }), 800);
    const b = take(model({ exists: true, existsEvery: 50 }), 800);
    assert.deepEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
    const c = take(model({ seed: 43, exists: true, existsEvery: 50 }), 800);
    assert.notDeepEqual(
      c.map((m) => m.message.event_type),
      a.map((m) => m.message.event_type),
    );
    assert.notEqual(instanceId(c[0] as SimulatedMessage), instanceId(a[0] as SimulatedMessage));
  });

  it('builds messages shaped like Nova’s, in both formats', () => {
    const msgs = take(model({ format: 'both', exists: true, existsEvery: 200 }), 4000);
    const seen = new Set<string>();
    for (const { message: m, routingKey, topic } of msgs) {
      seen.add(m.event_type);
      assert.match(m.message_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(m._unique_id, /^[0-9a-f]{32}$/);
      assert.match(m.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
      assert.match(String(m._context_auth_token), /^gAAAAA[\w-]+$/);
      assert.match(String(m._context_request_id), /^req-[0-9a-f-]{36}$/);
      assert.match(String(m._context_user_id), /^[0-9a-f]{32}$/);
      assert.match(String(m._context_project_id), /^[0-9a-f]{32}$/);
      assert.ok(m.priority === 'INFO' || m.priority === 'ERROR');
      assert.equal(routingKey, `${topic}.${m.priority.toLowerCase()}`);
      if (topic === 'notifications') {
        // compute.ctl-NN: the conductor publishes the updates of the instance it saves in error.
        assert.match(m.publisher_id, /^(compute\.cmp-\d{3}|(api|compute|compute_task)\.ctl-\d\d)\.example\.org$/);
        assert.ok(!('nova_object.data' in m.payload));
      } else {
        assert.match(m.publisher_id, /^nova-(compute:cmp-\d{3}|(api|compute|conductor):ctl-\d\d)\.example\.org$/);
        assert.equal(m.payload['nova_object.namespace'], 'nova');
        assert.match(String(m.payload['nova_object.version']), /^\d+\.\d+$/);
      }
      // Unversioned Nova names the conductor's build failure without an .error suffix.
      if (m.event_type.endsWith('.error') || m.event_type === 'compute_task.build_instances') {
        assert.equal(m.priority, 'ERROR');
        assert.equal(routingKey, `${topic}.error`);
      } else {
        assert.equal(m.priority, 'INFO');
      }
      if (m.event_type === 'compute.instance.create.error') {
        assert.equal(typeof m.payload.message, 'string');
        assert.equal(typeof m.payload.code, 'number');
        assert.ok(m.payload.exception);
      }
      if (m.event_type === 'instance.create.error') {
        const fault = data({ message: m, routingKey, topic }).fault as Obj;
        assert.equal(fault['nova_object.name'], 'ExceptionPayload');
        assert.match(String((fault['nova_object.data'] as Obj).exception), /^[A-Z]\w+$/);
      }
      if (m.event_type === 'compute.instance.create.end') {
        // build duration the exporter derives: a few seconds to a few minutes
        const built = Date.parse(String(m.payload.launched_at) + 'Z') - Date.parse(String(m.payload.created_at));
        assert.ok(built >= 5_000 && built <= 300_000, `build took ${built} ms`);
      }
    }
    for (const t of [
      'compute.instance.create.start',
      'compute.instance.create.end',
      'compute.instance.create.error',
      'compute.instance.update',
      'compute.instance.delete.end',
      'compute.instance.reboot.end',
      'compute.instance.power_off.end',
      'compute.instance.power_on.end',
      'compute.instance.resize.prep.start',
      'compute.instance.finish_resize.end',
      'compute.instance.exists',
      'compute_task.build_instances',
      'instance.create.end',
      'instance.update',
      'instance.resize_finish.end',
      'instance.exists',
      'compute_task.build_instances.error',
    ]) {
      assert.ok(seen.has(t), `no ${t} in 4000 messages`);
    }
  });

  it('keeps state transitions consistent per instance, and nothing follows delete.end', () => {
    for (const format of ['unversioned', 'versioned'] as const) {
      const last = new Map<string, string>();
      const gone = new Set<string>();
      let updates = 0;
      for (const m of take(model({ format, errorRatio: 0.3, exists: true, existsEvery: 100 }), 5000)) {
        const id = instanceId(m);
        assert.ok(!gone.has(id), `${m.message.event_type} after delete.end of ${id}`);
        if (/delete\.end$/.test(m.message.event_type)) gone.add(id);
        if (!isUpdate(m)) continue;
        const [from, to] = transition(m);
        const prev = last.get(id);
        if (prev !== undefined) assert.equal(from, prev, `${format} ${id}: update from ${from} after ${prev}`);
        else assert.equal(from, 'building');
        last.set(id, to);
        updates++;
      }
      assert.ok(updates > 500);
      assert.ok(gone.size > 10);
    }
  });

  it("'both' emits every event in both formats, legacy first, and the same events as one format", () => {
    const both = take(model({ format: 'both', exists: true, existsEvery: 100 }), 2000);
    for (let n = 0; n < both.length; n += 2) {
      const [l, v] = [both[n] as SimulatedMessage, both[n + 1] as SimulatedMessage];
      assert.equal(l.topic, 'notifications');
      assert.equal(v.topic, 'versioned_notifications');
      assert.equal(instanceId(l), instanceId(v));
      assert.equal(l.message.timestamp, v.message.timestamp);
      assert.equal(l.message.priority, v.message.priority);
      assert.equal(l.message._context_request_id, v.message._context_request_id);
      assert.notEqual(l.message.message_id, v.message.message_id);
    }
    const legacyOnly = take(model({ format: 'unversioned', exists: true, existsEvery: 100 }), 1000);
    const legacyOfBoth = both.filter((m) => m.topic === 'notifications');
    assert.deepEqual(
      legacyOfBoth.map((m) => m.message.event_type),
      legacyOnly.map((m) => m.message.event_type),
    );
    assert.deepEqual(legacyOfBoth.map(instanceId), legacyOnly.map(instanceId));
  });

  it('errorRatio 0 sends no ERROR; errorRatio 1 only failed builds', () => {
    const clean = model({ errorRatio: 0, exists: true, existsEvery: 100 });
    take(clean, 3000);
    assert.equal(clean.stats().byPriority.ERROR, undefined);
    assert.equal(clean.stats().byRoutingKey['notifications.error'], undefined);

    const failing = model({ format: 'both', errorRatio: 1 });
    const msgs = take(failing, 3000);
    const types = new Set(msgs.map((m) => m.message.event_type));
    for (const t of types) {
      assert.match(
        t,
        /^(compute\.)?instance\.(create\.(start|error)|update|delete\.(start|end))$|^compute_task\.build_instances(\.error)?$/,
      );
    }
    assert.ok(types.has('compute.instance.create.error') && types.has('compute_task.build_instances'));
    for (const m of msgs.filter(isUpdate)) assert.notEqual(transition(m)[1], 'active');
    const s = failing.stats();
    assert.equal(s.byEventType['compute.instance.create.end'], undefined);
    assert.equal(
      s.byPriority.ERROR,
      (s.byEventType['compute.instance.create.error'] ?? 0) * 2 + (s.byEventType['compute_task.build_instances'] ?? 0) * 2,
    );
  });

  it('exists burst: one per live instance per format', () => {
    for (const [format, perEvent] of [
      ['unversioned', 1],
      ['both', 2],
    ] as const) {
      const m = model({ format, exists: true, existsEvery: 150 });
      let bursts = 0;
      let prevExists = false;
      for (let n = 0; n < 6000 && bursts < 4; n++) {
        const msg = m.next();
        const exists = /instance\.exists$/.test(msg.message.event_type);
        if (exists && !prevExists) {
          bursts++;
          const live = m.liveInstances();
          let size = 1;
          while (/instance\.exists$/.test(m.next().message.event_type)) size++;
          assert.equal(size, live * perEvent, `burst ${bursts}`);
          assert.ok(live > 0);
          prevExists = false;
          continue;
        }
        prevExists = exists;
      }
      assert.equal(bursts, 4);
    }
    const none = model({ exists: false });
    take(none, 3000);
    assert.equal(none.stats().byEventType['compute.instance.exists'], undefined);
  });

  it('with ratePerSecond, simulated time keeps pace with the clock', () => {
    for (const [rate, hint] of [
      [50, true],
      [50, false],
    ] as const) {
      let wall = T0;
      const m = model({ format: 'both', hosts: 10, now: () => wall, ratePerSecond: hint ? rate : undefined });
      for (let n = 0; n < rate * 600; n++, wall += 1000 / rate) m.next(); // ten minutes
      const leadSeconds = (m.simulatedNow() - wall) / 1000;
      // Without the hint the sparse simulated cloud runs hours ahead; that is the point.
      if (hint) assert.ok(leadSeconds < 60, `ahead by ${leadSeconds} s`);
      else assert.ok(leadSeconds > 3600, `ahead by ${leadSeconds} s`);
    }
  });

  it('stats count exactly what next() returned', () => {
    const m = model({ format: 'both', exists: true, existsEvery: 100 });
    const msgs = take(m, 1234);
    const s = m.stats();
    assert.equal(s.total, 1234);
    const tally: Record<string, number> = {};
    for (const x of msgs) tally[x.message.event_type] = (tally[x.message.event_type] ?? 0) + 1;
    assert.deepEqual(s.byEventType, tally);
    assert.equal(
      Object.values(s.byPriority).reduce((a, b) => a + b, 0),
      1234,
    );
    assert.equal(
      Object.values(s.byRoutingKey).reduce((a, b) => a + b, 0),
      1234,
    );
  });
});

describe('progress bar', () => {
  const p = { sent: 50, total: 100, fraction: 0.5, elapsedSeconds: 2, ratePerSecond: 25, done: false };
  it('renders a bar only on a TTY', () => {
    assert.match(renderProgressLine(p), /^\[#+-+\] {2}50% {2}50\/100 msgs {2}25 msg\/s {2}2\.0s$/);
    assert.equal(renderProgressLine({ ...p, total: undefined, fraction: undefined }), '50 msgs  25 msg/s  2.0s');
    const out: string[] = [];
    createProgressBar({ isTTY: false, write: (s: string) => out.push(s) }).finish(p);
    assert.equal(out.length, 0);
    const bar = createProgressBar({ isTTY: true, columns: 60, write: (s: string) => out.push(s) });
    bar.update(p);
    bar.finish({ ...p, sent: 100, fraction: 1, done: true });
    assert.equal(out.length, 3);
    assert.ok(out.every((s) => s.length <= 60 + 5));
    assert.equal(out[2], '\n');
  });
});
