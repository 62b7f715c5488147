// What the exporter takes from prom-client beyond its typed API (src/metrics/prom-client-internals.ts):
// every metric type reads the same without awaiting as through get(), survives a snapshot's
// round trip into a fresh state, and a change of prom-client's shape fails loudly.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SwappableCounting } from '../../src/ha/swappable-counting.js';
import { CellMetric } from '../../src/metrics/cells.js';
import {
  asMetricLike,
  checkPromClientShape,
  metricsOf,
  normalised,
  PromClientShapeError,
  readValuesNow,
} from '../../src/metrics/prom-client-internals.js';

/** A state with one metric of every kind the counting pipeline uses, each updated. */
function build(registry: Registry) {
  const registers = [registry];
  const counter = new Counter({ name: 't_events_total', help: 'h', labelNames: ['kind'] as const, registers });
  const plain = new Counter({ name: 't_plain_total', help: 'h', registers });
  const gauge = new Gauge({ name: 't_level', help: 'h', labelNames: ['kind'] as const, registers });
  const histogram = new Histogram({ name: 't_seconds', help: 'h', labelNames: ['kind'] as const, buckets: [1, 10], registers });
  const cells = new CellMetric('t_cells_total', 'h', 'counter', ['host'], registry);
  const remembered = new CellMetric('t_last_seen_seconds', 'h', 'gauge', ['host'], registry, true);
  const forgotten = new CellMetric('t_now_seen', 'h', 'gauge', ['host'], registry);
  return {
    update(k: number) {
      counter.inc({ kind: 'a' }, k);
      counter.inc({ kind: 'b' });
      plain.inc(k);
      gauge.set({ kind: 'a' }, k);
      histogram.observe({ kind: 'a' }, k);
      histogram.observe({ kind: 'b' }, 20 * k);
      cells.cell(['h1']).inc(k);
      remembered.cell(['h1']).set(1000 + k);
      forgotten.cell(['h1']).set(k);
    },
  };
}

describe('prom-client internals', () => {
  test("prom-client's shape is what the exporter expects (checked at --ha start)", async () => {
    await checkPromClientShape();
  });

  test('every metric type reads the same without awaiting as through get()', async () => {
    const registry = new Registry();
    build(registry).update(3);
    for (const metric of metricsOf(registry)) {
      assert.deepEqual(normalised(readValuesNow(metric)), normalised((await metric.get()).values), metric.name);
      assert.ok(readValuesNow(metric).length > 0, metric.name);
    }
  });

  test('a read is a copy: what is counted after it does not change it', () => {
    const registry = new Registry();
    const state = build(registry);
    state.update(1);
    const counter = asMetricLike(registry.getSingleMetric('t_events_total') as Counter);
    const before = normalised(readValuesNow(counter));
    const read = readValuesNow(counter);
    state.update(5);
    assert.deepEqual(normalised(read), before);
  });

  test('round trip: a restored state shows the same counters, histograms and remembered gauges, and counts on from them', async () => {
    // The state each SwappableCounting built last, to update it as a pipeline would.
    let live = { update: (_k: number) => undefined as void };
    const track = (r: Registry) => {
      const s = stub(r);
      live = s;
      return s;
    };
    const original = new SwappableCounting(new Registry(), track);
    live.update(2);
    const stored = JSON.parse(JSON.stringify(original.dumpMetrics())) as ReturnType<SwappableCounting['dumpMetrics']>;
    assert.deepEqual(Object.keys(stored).sort(), ['t_cells_total', 't_events_total', 't_last_seen_seconds', 't_plain_total', 't_seconds']);

    const served = new Registry();
    const restored = new SwappableCounting(served, track);
    restored.restoreMetrics(stored);
    const shown = async (name: string) => normalised((await (served.getSingleMetric(name) as Counter).get()).values);
    for (const name of Object.keys(stored)) assert.deepEqual(await shown(name), normalised(stored[name] ?? []), name);
    // Counting on adds to the counters and histograms; the gauge computed from state starts afresh.
    live.update(2);
    const reference = new Registry();
    const twice = build(reference);
    twice.update(2);
    twice.update(2);
    for (const name of ['t_events_total', 't_plain_total', 't_seconds', 't_cells_total']) {
      assert.deepEqual(await shown(name), normalised((await (reference.getSingleMetric(name) as Counter).get()).values), name);
    }
  });

  test('a prom-client whose metrics no longer keep their values where expected fails loudly', () => {
    const registry = new Registry();
    build(registry).update(1);
    for (const name of ['t_events_total', 't_seconds']) {
      const metric = registry.getSingleMetric(name) as unknown as { hashMap?: unknown };
      delete metric.hashMap;
      assert.throws(
        () => readValuesNow(asMetricLike(metric as object)),
        (err: unknown) => err instanceof PromClientShapeError && /no longer keeps/.test(err.message),
      );
    }
    assert.throws(
      () => readValuesNow(asMetricLike({ name: 'x', help: 'h', type: 'counter', get: async () => ({}) })),
      PromClientShapeError,
    );
  });
});

/** A counting pipeline reduced to its metrics: only SwappableCounting's metric handling is under test. */
function stub(registry: Registry) {
  const state = build(registry);
  const noState = { dump: () => ({}) as never, restore: () => undefined };
  return {
    update: state.update,
    pipeline: () => 'counted' as never,
    activity: undefined as never,
    expire: () => undefined,
    state: noState,
  };
}
