import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedChildren, LabelLimiter, MAX_LABEL_LENGTH, OVERFLOW_VALUE } from '../../src/metrics/labels.js';

function setup(cap: number, maxCached = 100_000) {
  const overflows: string[] = [];
  const made: string[][] = [];
  const limiter = new LabelLimiter(
    () => cap,
    (label) => overflows.push(label),
  );
  const children = new BoundedChildren<{ values: string[] }>(
    ['event_type', 'host'],
    limiter,
    (values) => {
      made.push(values);
      return { values };
    },
    maxCached,
  );
  return { children, overflows, made };
}

describe('BoundedChildren', () => {
  test('hands out one child per combination of values, made once', () => {
    const { children, made } = setup(10);
    const a = children.get('compute.instance.update', 'host1');
    // Equal strings built separately (as JSON.parse builds them) find the same child.
    assert.equal(children.get(['compute', 'instance', 'update'].join('.'), `host${1}`), a);
    const b = children.get('compute.instance.update', 'host2');
    const c = children.get('compute.instance.exists', 'host1');
    assert.notEqual(a, b);
    assert.notEqual(a, c);
    assert.deepEqual(made, [
      ['compute.instance.update', 'host1'],
      ['compute.instance.update', 'host2'],
      ['compute.instance.exists', 'host1'],
    ]);
  });

  test('values past a cap read `other`, and every such call counts an overflow', () => {
    const { children, overflows, made } = setup(2);
    children.get('e', 'h1');
    children.get('e', 'h2');
    assert.deepEqual(children.get('e', 'h3').values, ['e', OVERFLOW_VALUE]);
    assert.deepEqual(children.get('e', 'h3').values, ['e', OVERFLOW_VALUE]);
    assert.deepEqual(overflows, ['host', 'host']);
    // Overflowed combinations are not cached: their raw values are unbounded.
    assert.equal(made.length, 4);
    assert.deepEqual(children.get('e', 'h1').values, ['e', 'h1']);
    assert.equal(made.length, 4);
  });

  test('past maxCached, combinations are still right, only no longer cached', () => {
    const { children, made } = setup(100, 2);
    children.get('e', 'h1');
    children.get('e', 'h2');
    assert.deepEqual(children.get('e', 'h3').values, ['e', 'h3']);
    assert.deepEqual(children.get('e', 'h3').values, ['e', 'h3']);
    assert.equal(made.length, 4);
    children.get('e', 'h1');
    assert.equal(made.length, 4);
  });

  test('long values are cut to the maximum label length', () => {
    const { children } = setup(10);
    const long = 'x'.repeat(MAX_LABEL_LENGTH + 50);
    assert.equal(children.get('e', long).values[1], 'x'.repeat(MAX_LABEL_LENGTH));
  });
});
