import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentIds } from '../../src/pipeline/dedup.js';

test('recognises an id seen within the window and forgets the oldest past it', () => {
  const ids = new RecentIds(3);
  assert.deepEqual(
    ['a', 'b', 'c', 'a'].map((id) => ids.seen(id)),
    [false, false, false, true],
  );
  assert.equal(ids.seen('d'), false); // evicts a
  assert.equal(ids.seen('a'), false);
  assert.equal(ids.seen('c'), true);
});

test('a window of 0 remembers nothing', () => {
  const ids = new RecentIds(0);
  assert.equal(ids.seen('a'), false);
  assert.equal(ids.seen('a'), false);
});
