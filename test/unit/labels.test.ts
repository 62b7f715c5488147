import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChildCache, LabelLimiter, MAX_LABEL_LENGTH, OVERFLOW_VALUE } from '../../src/metrics/labels.js';

function limiter(cap: number) {
  const overflows: string[] = [];
  const l = new LabelLimiter(
    (label) => (label === 'host' ? cap : 1000),
    (label) => overflows.push(label),
  );
  return { limiter: l, overflows };
}

describe('LabelLimiter', () => {
  test('values past a cap read `other`, and every such value counts an overflow', () => {
    const { limiter: l, overflows } = limiter(2);
    const host = l.label('host');
    assert.deepEqual(['h1', 'h2', 'h3', 'h3', 'h1'].map(host), ['h1', 'h2', OVERFLOW_VALUE, OVERFLOW_VALUE, 'h1']);
    assert.deepEqual(overflows, ['host', 'host']);
    assert.equal(l.distinct('host'), 2);
  });

  test('caps are per label name and shared by every holder of that label', () => {
    const { limiter: l, overflows } = limiter(1);
    assert.equal(l.label('host')('a'), 'a');
    assert.equal(l.label('host')('b'), OVERFLOW_VALUE);
    assert.equal(l.label('event_type')('b'), 'b');
    assert.deepEqual(overflows, ['host']);
  });

  test('long values are cut to the maximum label length', () => {
    const { limiter: l } = limiter(10);
    assert.equal(l.label('event_type')('x'.repeat(MAX_LABEL_LENGTH + 50)), 'x'.repeat(MAX_LABEL_LENGTH));
  });
});

describe('ChildCache', () => {
  function cache(maxCached = 100_000) {
    const made: string[][] = [];
    const children = new ChildCache<{ values: string[] }>((values) => {
      made.push(values);
      return { values };
    }, maxCached);
    return { children, made };
  }

  test('hands out one child per combination of values, made once', () => {
    const { children, made } = cache();
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

  test('past maxCached, combinations are still right, only no longer cached', () => {
    const { children, made } = cache(2);
    children.get('e', 'h1');
    children.get('e', 'h2');
    assert.deepEqual(children.get('e', 'h3').values, ['e', 'h3']);
    assert.deepEqual(children.get('e', 'h3').values, ['e', 'h3']);
    assert.equal(made.length, 4);
    children.get('e', 'h1');
    assert.equal(made.length, 4);
  });
});
