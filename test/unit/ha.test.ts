// --ha without a broker: its configuration, the state snapshot's round trip, the counting
// state a standby shows and a takeover restores, and the constant labels.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { buildConfig, ConfigError } from '../../src/config/config.js';
import { decodeSnapshot, encodeSnapshot, newer, SNAPSHOT_FORMAT, SnapshotError } from '../../src/ha/snapshot.js';
import { createReplicatedCounting } from '../../src/ha/ha-counting.js';
import { SwappableCounting } from '../../src/ha/swappable-counting.js';
import { createLogger } from '../../src/log.js';
import { applyConstantLabels } from '../../src/metrics/constant-labels.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { osloBody } from '../../src/oslo/wire.js';
import { countingSeries, differences, referenceSamples, summed, traffic } from '../support/ha.js';
import { parseMetrics, valueOf } from '../support/metrics-text.js';

const log = createLogger({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
const config = buildConfig({}, {});
const build = (r: Registry) => createCountingPipeline(config, r, log, () => Date.now() / 1000);

describe('--ha configuration', () => {
  test('implies a quorum queue with a single active consumer; HA=true reads the same', () => {
    for (const c of [buildConfig({ ha: 'true' }, {}), buildConfig({}, { HA: 'true' })]) {
      assert.equal(c.ha.enabled, true);
      assert.equal(c.amqp.queueType, 'quorum');
      assert.equal(c.amqp.singleActiveConsumer, true);
    }
    assert.equal(buildConfig({}, {}).amqp.singleActiveConsumer, false);
    assert.equal(buildConfig({}, {}).amqp.queueType, 'classic');
  });

  test('refuses an explicit classic queue in one line naming the flag', () => {
    assert.throws(
      () => buildConfig({ ha: 'true', 'amqp.queue-type': 'classic' }, {}),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === 'invalid --amqp.queue-type: --ha needs --amqp.queue-type quorum (replicated, single active consumer)',
    );
  });

  test('constant labels: name=value, repeatable, from METRICS_CONSTANT_LABEL as a list', () => {
    assert.deepEqual(buildConfig({ 'metrics.constant-label': ['region=RegionOne', 'cell=cell1'] }, {}).metrics.constantLabels, {
      region: 'RegionOne',
      cell: 'cell1',
    });
    assert.deepEqual(buildConfig({}, { METRICS_CONSTANT_LABEL: 'region=r1,cell=c2' }).metrics.constantLabels, { region: 'r1', cell: 'c2' });
    const bad: [string[], RegExp][] = [
      [['region'], /must be name=value/],
      [['1x=y'], /must be name=value/],
      [['__x=y'], /must be name=value/],
      [['host=h'], /must not be host/],
      [['instance=i'], /must not be instance/],
      [['cell=a', 'cell=b'], /names cell twice/],
    ];
    for (const [values, message] of bad) {
      assert.throws(
        () => buildConfig({ 'metrics.constant-label': values }, {}),
        (err: unknown) =>
          err instanceof ConfigError && /^invalid --metrics\.constant-label: /.test(err.message) && message.test(err.message),
        values.join(' '),
      );
    }
  });
});

describe('the replicated counting', () => {
  test('hands each body on with the exchange it came from, for mapping rules that match on it', () => {
    const seen: (string | undefined)[] = [];
    const config = buildConfig({ ha: 'true' }, {});
    const { counting } = createReplicatedCounting(
      config,
      createRegistry(),
      log,
      () => 0,
      (r) => {
        const parts = build(r);
        return { ...parts, pipeline: (body, exchange) => (seen.push(exchange), parts.pipeline(body, exchange)) };
      },
    );
    counting.pipeline(osloBody({ event_type: 'volume.create.start', priority: 'INFO', publisher_id: 'volume.h', payload: {} }), 'cinder');
    assert.deepEqual(seen, ['cinder']);
  });
});

/** One snapshot of a counting state, as the active replica publishes it. */
const snapshotOf = (counting: SwappableCounting) =>
  encodeSnapshot({
    format: SNAPSHOT_FORMAT,
    generation: 1,
    takenOverAt: 0,
    replica: 'a',
    seq: 1,
    takenAt: 0,
    metrics: counting.dumpMetrics(),
    state: counting.state.dump(),
  });

describe('state snapshots', () => {
  test('round-trip the whole counting state: a restored pipeline counts on exactly as the original', async () => {
    const messages = traffic(1200, 3);
    const served = new Registry();
    const original = new SwappableCounting(served, build);
    for (const m of messages.slice(0, 800)) original.pipeline(osloBody(m.message));
    const body = await snapshotOf(original);
    const snapshot = await decodeSnapshot(body);

    const other = new Registry();
    const takeover = new SwappableCounting(other, build);
    takeover.restoreMetrics(snapshot.metrics);
    takeover.state.restore(snapshot.state);
    // The redelivered tail of what was counted before the snapshot is recognised by message id.
    for (const m of messages.slice(700)) takeover.pipeline(osloBody(m.message));
    const got = summed([countingSeries(parseMetrics(await other.metrics()))]);
    const want = summed([countingSeries(await referenceSamples(messages))]);
    assert.deepEqual(differences(got, want), []);
    assert.ok(valueOf(parseMetrics(await other.metrics()), 'openstack_instances') > 0);
    assert.equal(
      valueOf(parseMetrics(await other.metrics()), 'openstack_notification_exporter_messages_dropped_total', { reason: 'duplicate' }),
      100,
    );
  });

  test("the landing page's recent activity survives a takeover, carried in the snapshot", async () => {
    const clock = { now: 1_800_000_000 };
    const fixed = (r: Registry) => createCountingPipeline(config, r, log, () => clock.now);
    const messages = traffic(300, 5, clock.now * 1000 - 5000);
    const original = new SwappableCounting(new Registry(), fixed);
    for (const m of messages.slice(0, 200)) original.pipeline(osloBody(m.message));
    clock.now += 2; // the rate counts whole seconds gone by
    const before = original.activity.summary();
    assert.equal(before.total, 200);
    assert.ok(before.transitions.length > 0 && before.errors.length > 0 && before.ratePerSecond > 0, JSON.stringify(before).slice(0, 400));
    const body = await snapshotOf(original);
    const takeover = new SwappableCounting(new Registry(), fixed);
    const snapshot = await decodeSnapshot(body);
    takeover.restoreMetrics(snapshot.metrics);
    takeover.state.restore(snapshot.state);
    assert.deepEqual(takeover.activity.summary(), before);
    // And it goes on from there as the original would.
    for (const m of messages.slice(200)) {
      original.pipeline(osloBody(m.message));
      takeover.pipeline(osloBody(m.message));
    }
    assert.deepEqual(takeover.activity.summary(), original.activity.summary());
    assert.equal(takeover.activity.summary().total, 300);
  });

  test('a reset shows an empty state: counters at their known zero values, no series of notifications', async () => {
    const served = new Registry();
    const counting = new SwappableCounting(served, build);
    for (const m of traffic(50)) counting.pipeline(osloBody(m.message));
    assert.equal(valueOf(parseMetrics(await served.metrics()), 'openstack_notifications_total'), 50);
    counting.reset();
    const after = parseMetrics(await served.metrics());
    assert.equal(after.filter((s) => s.name === 'openstack_notifications_total').length, 0);
    assert.equal(valueOf(after, 'openstack_notification_exporter_messages_dropped_total'), 0);
    assert.ok(
      after.some((s) => s.name === 'openstack_notification_exporter_messages_dropped_total'),
      'known label values still at 0',
    );
  });

  test('refuses what it cannot read, in words', async () => {
    await assert.rejects(
      decodeSnapshot(Buffer.from('nope')),
      (err: unknown) => err instanceof SnapshotError && /not gzipped JSON/.test(err.message),
    );
    const future = await encodeSnapshot({ format: 2 } as never);
    await assert.rejects(
      decodeSnapshot(future),
      (err: unknown) => err instanceof SnapshotError && /format 2, this version reads 1/.test(err.message),
    );
  });

  test('orders snapshots totally: generation, then the later takeover, then replica id, then seq', () => {
    const o = (generation: number, takenOverAt: number, replica: string, seq: number) => ({ generation, takenOverAt, replica, seq });
    assert.equal(newer(o(2, 0, 'a', 1), o(1, 9, 'b', 9)), true);
    assert.equal(newer(o(1, 9, 'b', 9), o(2, 0, 'a', 1)), false);
    assert.equal(newer(o(2, 5, 'a', 3), o(2, 5, 'a', 2)), true);
    // Two takeovers from the same snapshot: the later one wins whatever their seqs.
    assert.equal(newer(o(2, 6, 'a', 1), o(2, 5, 'b', 40)), true);
    assert.equal(newer(o(2, 5, 'b', 40), o(2, 6, 'a', 1)), false);
    assert.equal(newer(o(2, 5, 'b', 1), o(2, 5, 'a', 1)), true);
    assert.equal(newer(o(2, 5, 'a', 1), o(2, 5, 'b', 1)), false);
  });
});

describe('--metrics.constant-label', () => {
  test('adds the labels to every openstack_* series, histograms included, and to no other', async () => {
    const registry = createRegistry();
    const c = new Counter({ name: 'openstack_x_total', help: 'x', labelNames: ['host'], registers: [registry] });
    const h = new Histogram({ name: 'openstack_y_seconds', help: 'y', buckets: [1], registers: [registry] });
    c.inc({ host: 'h1' });
    h.observe(0.5);
    applyConstantLabels(registry, { region: 'RegionOne', cell: 'cell1' });
    const samples = parseMetrics(await registry.metrics());
    const ours = samples.filter((s) => s.name.startsWith('openstack_'));
    assert.equal(ours.length, 5); // the counter; the histogram's two buckets, sum and count
    for (const s of ours) assert.deepEqual([s.labels['region'], s.labels['cell']], ['RegionOne', 'cell1'], s.name);
    assert.equal(valueOf(samples, 'openstack_x_total', { host: 'h1', region: 'RegionOne' }), 1);
    for (const s of samples.filter((x) => x.name.startsWith('process_') || x.name.startsWith('nodejs_')))
      assert.equal(s.labels['region'], undefined);
  });
});
