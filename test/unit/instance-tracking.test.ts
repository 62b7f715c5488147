import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActionTracker } from '../../src/metrics/action-tracker.js';
import { seriesOf, valueOf } from '../support/metrics-text.js';
import { countingPipeline } from '../support/pipeline.js';

const T0 = Date.UTC(2026, 10, 25, 10) / 1000;
const stamp = (t: number) => new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');

interface Msg {
  at: number;
  inner: Record<string, unknown>;
}

function legacy(event: string, priority: string, i: number, at: number, state: string): Msg {
  const host = `h${i % 3}`;
  return {
    at,
    inner: {
      event_type: `compute.instance.${event}`,
      priority,
      publisher_id: `compute.${host}`,
      timestamp: stamp(at),
      payload: { instance_id: `inst-${i}`, host, state, created_at: stamp(T0 + i), launched_at: event === 'create.end' ? stamp(at) : '' },
    },
  };
}

/**
 * Thirty builds over three hosts, interleaved by time: 0-4 arrive end first, 5-9 repeat
 * their start, 10-12 never end, 13-14 fail, 15-17 are deleted afterwards.
 */
function generated(): Msg[] {
  const msgs: Msg[] = [];
  for (let i = 0; i < 30; i++) {
    const start = legacy('create.start', 'INFO', i, T0 + i, 'building');
    const buildSeconds = 10 + (i % 5);
    msgs.push(start);
    if (i >= 5 && i < 10) msgs.push({ ...start, at: start.at + 0.5 });
    if (i >= 10 && i < 13) continue;
    if (i === 13 || i === 14) msgs.push(legacy('create.error', 'ERROR', i, T0 + i + buildSeconds, 'error'));
    else msgs.push(legacy('create.end', 'INFO', i, T0 + i + buildSeconds, 'active'));
    if (i >= 15 && i < 18) {
      msgs.push(legacy('delete.start', 'INFO', i, T0 + 100 + i, 'active'));
      msgs.push(legacy('delete.end', 'INFO', i, T0 + 102 + i, 'deleted'));
    }
  }
  msgs.sort((a, b) => a.at - b.at);
  // Out of order: the ends of 0-4 are delivered before their starts.
  for (let i = 0; i < 5; i++) {
    const s = msgs.findIndex(
      (m) =>
        m.inner['event_type'] === 'compute.instance.create.start' &&
        (m.inner['payload'] as { instance_id: string }).instance_id === `inst-${i}`,
    );
    const [startMsg] = msgs.splice(s, 1);
    msgs.push(startMsg!);
  }
  return msgs;
}

describe('start/end pairing, in flight and inventory over generated lifecycles', () => {
  test('exact histogram counts, in-flight values and inventory counts', async () => {
    const p = countingPipeline({ 'metrics.action-timeout-seconds': '600' });
    p.clock.now = T0 + 200;
    for (const m of generated()) assert.equal(p.feed(m.inner), 'counted');
    let s = await p.scrape();

    const count = (outcome: string, action = 'create') =>
      valueOf(s, 'openstack_instance_action_duration_seconds_count', { action, outcome });
    assert.equal(count('success'), 25, 'out-of-order and repeated starts pair exactly once');
    assert.equal(count('error'), 2);
    assert.equal(count('timeout'), 0);
    assert.equal(count('success', 'delete'), 3);
    // Builds last 10 + i % 5 seconds: the sum over the 25 successes is exact.
    const expectedSum = [...Array(30).keys()].filter((i) => !(i >= 10 && i < 15)).reduce((sum, i) => sum + 10 + (i % 5), 0);
    assert.ok(
      Math.abs(valueOf(s, 'openstack_instance_action_duration_seconds_sum', { action: 'create', outcome: 'success' }) - expectedSum) < 1e-3,
    );
    assert.equal(valueOf(s, 'openstack_instance_action_duration_seconds_bucket', { action: 'create', outcome: 'success', le: '10' }), 5);

    assert.equal(valueOf(s, 'openstack_instance_actions_in_flight', { action: 'create' }), 3);
    // Ages by the stream's clock: its newest notification (the last delete end, T0 + 119), not the wall (T0 + 200).
    assert.equal(valueOf(s, 'openstack_instance_action_oldest_in_flight_seconds', { action: 'create' }), 119 - 10);
    assert.equal(valueOf(s, 'openstack_notification_exporter_tracked_actions'), 3);

    const inventory = Object.fromEntries(
      seriesOf(s, 'openstack_instances').map((x) => [`${x.labels['state']}@${x.labels['host']}`, x.value]),
    );
    // Active: 25 built minus 3 deleted (15, 16, 17 on h0, h1, h2); building: 10-12; error: 13, 14.
    // The late starts of 0-4 are older than their ends and do not turn them back to building.
    assert.deepEqual(inventory, {
      'active@h0': 8,
      'active@h1': 7,
      'active@h2': 7,
      'building@h0': 1,
      'building@h1': 1,
      'building@h2': 1,
      'error@h1': 1,
      'error@h2': 1,
    });
    assert.equal(valueOf(s, 'openstack_notification_exporter_tracked_instances'), 27);

    // Past the timeout the three open builds end as `timeout` and leave the in-flight gauges.
    // The feed is quiet: the stream's clock runs on from T0 + 119 at the wall's pace. The
    // youngest open build started at T0 + 12, so it expires when the stream reads T0 + 612.
    p.clock.now = T0 + 200 + (12 + 600 - 119) - 1;
    s = await p.scrape();
    assert.equal(count('timeout'), 2);
    p.clock.now = T0 + 200 + (12 + 600 - 119);
    s = await p.scrape();
    assert.equal(count('timeout'), 3);
    assert.equal(valueOf(s, 'openstack_instance_actions_in_flight', { action: 'create' }), 0);
  });
});

describe('ActionTracker', () => {
  const tracker = (maxTracked = 100, onEvicted: () => void = () => undefined) =>
    new ActionTracker({ maxTracked, timeoutSeconds: 60, onEvicted });
  const start = (t: ActionTracker, at: number, requestId?: string) =>
    t.start({ instanceId: 'i', action: 'reboot', host: 'h', startedAt: at, requestId });

  test('does not pair an end of another request (versioned request_id)', () => {
    const t = tracker();
    start(t, 0, 'req-a');
    assert.equal(t.finish('i', 'reboot', 5, 'success', 'req-b', 5), undefined);
    assert.equal(t.finish('i', 'reboot', 7, 'success', 'req-a', 7)?.durationSeconds, 7);
  });

  test('a new start after a lost end restarts the clock', () => {
    const t = tracker();
    start(t, 0);
    start(t, 30);
    assert.equal(t.finish('i', 'reboot', 35, 'success', undefined, 35)?.durationSeconds, 5);
  });

  test('is bounded: past the cap the oldest entry is evicted and reported', () => {
    let evicted = 0;
    const t = tracker(2, () => evicted++);
    for (let i = 0; i < 5; i++) t.start({ instanceId: `i${i}`, action: 'create', host: 'h', startedAt: i, requestId: undefined });
    assert.equal(t.size, 2);
    assert.equal(evicted, 3);
  });
});

// The series budget (docs/metrics.md): action × outcome × host × buckets is most of a large
// cloud's samples, so host is on the action duration histogram only when asked for.
describe('--metrics.duration-by-host', () => {
  const durationLabels = async (flags: Record<string, string>) => {
    const p = countingPipeline(flags);
    p.clock.now = T0 + 200;
    for (const m of generated()) p.feed(m.inner);
    const s = await p.scrape();
    const series = seriesOf(s, 'openstack_instance_action_duration_seconds_count');
    assert.ok(series.length > 0);
    return { series, s };
  };

  test('off by default: no host on the action duration histogram, build duration keeps it', async () => {
    const { series, s } = await durationLabels({});
    for (const x of series) assert.deepEqual(Object.keys(x.labels).sort(), ['action', 'outcome']);
    assert.equal(valueOf(s, 'openstack_instance_action_duration_seconds_count', { action: 'create', outcome: 'success' }), 25);
    const build = seriesOf(s, 'openstack_instance_build_duration_seconds_count');
    assert.deepEqual(build.map((x) => x.labels['host']).sort(), ['h0', 'h1', 'h2']);
  });

  test('the option puts host back, with the same totals', async () => {
    const { series } = await durationLabels({ 'metrics.duration-by-host': 'true' });
    for (const x of series) assert.deepEqual(Object.keys(x.labels).sort(), ['action', 'host', 'outcome']);
    const created = series.filter((x) => x.labels['action'] === 'create' && x.labels['outcome'] === 'success');
    assert.deepEqual(created.map((x) => x.labels['host']).sort(), ['h0', 'h1', 'h2']);
    assert.equal(
      created.reduce((sum, x) => sum + x.value, 0),
      25,
    );
  });
});
