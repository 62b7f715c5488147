import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sharedRender } from '../../src/metrics/shared-render.js';

/** A render whose completion the test controls, counting how often it starts. */
function controlledRender() {
  const pending: { resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  let started = 0;
  const render = () =>
    new Promise<string>((resolve, reject) => {
      started++;
      pending.push({ resolve, reject });
    });
  return { render, pending, started: () => started };
}

test('scrapes during a render and within maxAge after it share that render', async () => {
  const r = controlledRender();
  const clock = { now: 1000 };
  const get = sharedRender(r.render, 1000, () => clock.now);
  const a = get();
  const b = get();
  assert.equal(r.started(), 1, 'a scrape during a render waits for it');
  r.pending[0]?.resolve('body 1');
  assert.equal(await a, 'body 1');
  assert.equal(await b, 'body 1');
  clock.now += 999;
  assert.equal(await get(), 'body 1');
  assert.equal(r.started(), 1);
  clock.now += 1;
  const c = get();
  assert.equal(r.started(), 2, 'older than maxAge: rendered again');
  r.pending[1]?.resolve('body 2');
  assert.equal(await c, 'body 2');
});

test('a failed render is not reused', async () => {
  const r = controlledRender();
  const get = sharedRender(r.render, 60_000, () => 0);
  const a = get();
  r.pending[0]?.reject(new Error('collect failed'));
  await assert.rejects(a, /collect failed/);
  const b = get();
  assert.equal(r.started(), 2);
  r.pending[1]?.resolve('ok');
  assert.equal(await b, 'ok');
});
