import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { competingConsumers, QueueSharingWatch, SPLIT_WARNING } from '../../src/amqp/queue-sharing.js';
import { brokerLine } from '../../src/http/activity-view.js';
import { createLogger } from '../../src/log.js';

describe('competing consumers on the queue', () => {
  const cases: [consumers: number, singleActiveConsumer: boolean, competing: number][] = [
    [0, false, 0],
    [1, false, 0],
    [2, false, 1],
    [3, false, 2],
    // --ha: a single active consumer, the others wait: no split.
    [2, true, 0],
    [3, true, 0],
  ];
  for (const [consumers, sac, competing] of cases) {
    test(`${consumers} consumer(s)${sac ? ', single active' : ''}: ${competing} competing`, () => {
      assert.equal(competingConsumers(consumers, sac), competing);
    });
  }
});

describe('the queue sharing watch', () => {
  function watch(singleActiveConsumer = false) {
    const lines: { level: number; msg: string; consumers?: number }[] = [];
    const log = createLogger({
      level: 'debug',
      format: 'json',
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
          done();
        },
      }),
    });
    const state = { consumers: 1, now: 0 };
    const w = new QueueSharingWatch({
      queue: 'q',
      singleActiveConsumer,
      stats: () => Promise.resolve({ messages: 0, consumers: state.consumers }),
      log,
      now: () => state.now,
    });
    const warnings = () => lines.filter((l) => l.msg === SPLIT_WARNING);
    return { w, state, lines, warnings };
  }

  test('warns when a second consumer appears, again every ten minutes while it stays, and says when it ends', async () => {
    const { w, state, lines, warnings } = watch();
    await w.check();
    assert.equal(lines.length, 0);
    assert.equal(w.warning(), undefined);

    state.consumers = 2;
    await w.check();
    assert.equal(warnings().length, 1);
    assert.equal(warnings()[0]?.consumers, 2);
    assert.equal(w.warning(), `${SPLIT_WARNING} (2 consumers)`);

    state.now += 9 * 60_000;
    await w.check();
    assert.equal(warnings().length, 1, 'at a bounded rate');
    state.now += 60_000;
    await w.check();
    assert.equal(warnings().length, 2);

    state.consumers = 1;
    await w.check();
    assert.equal(w.warning(), undefined);
    assert.match(lines.at(-1)?.msg ?? '', /no other consumer on this queue any more/);
  });

  test('under --ha the waiting replicas are no split', async () => {
    const { w, state, lines } = watch(true);
    state.consumers = 3;
    await w.check();
    assert.deepEqual(lines, []);
    assert.equal(w.warning(), undefined);
  });
});

test('the landing page shows the warning beside the broker link, escaped, and nothing without one', () => {
  const line = brokerLine({
    state: 'consuming',
    ready: true,
    problem: undefined,
    awaitingExchanges: [],
    queueType: 'classic',
    warning: `${SPLIT_WARNING} (2 consumers) <b>`,
  });
  assert.match(
    line,
    /· warning: <span id="broker-warning">another consumer on this queue: counts are split; use --ha or another --amqp\.queue \(2 consumers\) &#60;b&#62;<\/span>/,
  );
  assert.doesNotMatch(
    brokerLine({ state: 'consuming', ready: true, problem: undefined, awaitingExchanges: [], queueType: 'classic' }),
    /warning/,
  );
});
