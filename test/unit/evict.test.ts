import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActionTracker } from '../../src/metrics/action-tracker.js';
import { evictOldest, evictionBatch } from '../../src/metrics/evict.js';

test('evictOldest removes the oldest entries in insertion order and returns them', () => {
  const m = new Map([
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
  m.delete('a');
  m.set('a', 4);
  assert.deepEqual(evictOldest(m, 2), [
    ['b', 2],
    ['c', 3],
  ]);
  assert.deepEqual([...m], [['a', 4]]);
  assert.deepEqual(evictOldest(m, 5), [['a', 4]]);
  assert.equal(m.size, 0);
});

test('a full tracker evicts about 1% at a time and reports each eviction', () => {
  assert.equal(evictionBatch(50_000), 500);
  assert.equal(evictionBatch(20), 1);
  let evicted = 0;
  const t = new ActionTracker({ maxTracked: 1_000, timeoutSeconds: 60, onEvicted: () => evicted++ });
  for (let i = 0; i < 5_000; i++) t.start({ instanceId: `i${i}`, action: 'create', host: 'h', startedAt: i, requestId: undefined });
  assert.ok(t.size <= 1_000 && t.size > 980, `size ${t.size}`);
  assert.equal(evicted + t.size, 5_000, 'every start is either held or reported as evicted');
  // The newest starts are the ones kept.
  assert.equal(t.finish('i4999', 'create', 5_000, 'success', undefined, 5_000)?.durationSeconds, 1);
});
