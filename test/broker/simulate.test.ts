import assert from 'node:assert/strict';
import { BROKER_URL } from '../support/broker.js';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { connect, type GetMessage } from 'amqplib';
import { createTrafficModel, type SimulatedMessage } from '../../src/simulate/model.js';
import { ensureExchange, publishTraffic } from '../../src/simulate/publisher.js';

const T0 = Date.UTC(2026, 10, 25, 9, 58, 10);
const fixedClock = (): number => T0;
type Obj = Record<string, unknown>;

function take(m: { next(): SimulatedMessage }, n: number): SimulatedMessage[] {
  return Array.from({ length: n }, () => m.next());
}

describe('publisher (real RabbitMQ)', () => {
  const url = process.env.SIMULATE_TEST_AMQP_URL ?? BROKER_URL;

  it('publishes oslo messagingv2 envelopes to a topic exchange it declares only if missing', async () => {
    const conn = await connect(url);
    const name = `sim-test-${randomBytes(6).toString('hex')}`;
    const ch = await conn.createChannel();
    try {
      // The declaration path: declared when missing, left alone when present.
      assert.equal(await ensureExchange(conn, name), true);
      assert.equal(await ensureExchange(conn, name), false);
      // Same arguments re-declare fine: it is a non-durable topic exchange, as oslo's.
      await ch.assertExchange(name, 'topic', { durable: false, autoDelete: false });
      await ch.assertQueue(name, { exclusive: true });
      await ch.bindQueue(name, name, 'notifications.*');

      // A fixed clock, so that a second model with the same seed predicts every byte.
      const opts = { seed: 9, hosts: 3, format: 'unversioned', errorRatio: 0.4, exists: true, existsEvery: 20, now: fixedClock } as const;
      const progress: number[] = [];
      const result = await publishTraffic({
        url,
        exchange: name,
        model: createTrafficModel(opts),
        count: 50,
        confirmEvery: 16,
        onProgress: (p) => progress.push(p.sent),
      });
      assert.equal(result.sent, 50);
      assert.equal(result.exchangeDeclared, false);
      assert.equal(result.stats.total, 50);
      assert.equal(progress.at(-1), 50);

      const got: GetMessage[] = [];
      for (let tries = 0; got.length < 50 && tries < 200; tries++) {
        const msg = await ch.get(name, { noAck: true });
        if (msg) got.push(msg);
        else await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(got.length, 50);
      // Same seed, same traffic: what arrived is what the model generates, in order.
      const expected = take(createTrafficModel(opts), 50);
      got.forEach((msg, n) => {
        const want = expected[n] as SimulatedMessage;
        assert.equal(msg.fields.exchange, name);
        assert.equal(msg.fields.routingKey, want.routingKey);
        assert.equal(msg.properties.contentType, 'application/json');
        assert.equal(msg.properties.contentEncoding, 'utf-8');
        assert.equal(msg.properties.deliveryMode, 2);
        assert.equal(msg.properties.messageId, undefined);
        const body = JSON.parse(msg.content.toString('utf8')) as Obj;
        assert.deepEqual(Object.keys(body), ['oslo.version', 'oslo.message']);
        assert.equal(body['oslo.version'], '2.0');
        assert.equal(typeof body['oslo.message'], 'string');
        const inner = JSON.parse(body['oslo.message'] as string) as Obj;
        assert.deepEqual(inner, JSON.parse(JSON.stringify(want.message)));
        assert.equal(msg.fields.routingKey, `notifications.${String(inner.priority).toLowerCase()}`);
      });
      assert.ok(got.some((m) => m.fields.routingKey === 'notifications.error'));

      // Pacing and the duration limit: ~40 msg/s for 0.5 s.
      const paced = await publishTraffic({
        url,
        exchange: name,
        model: createTrafficModel({ ...opts, seed: 10 }),
        ratePerSecond: 40,
        durationSeconds: 0.5,
      });
      // The upper bound is the pacing; the lower one only says it did not stall (CI shares two cores).
      assert.ok(paced.sent >= 5 && paced.sent <= 22, `sent ${paced.sent}`);
      assert.ok(paced.elapsedSeconds >= 0.45 && paced.elapsedSeconds < 5);
    } finally {
      await ch.deleteQueue(name).catch(() => {});
      await ch.deleteExchange(name).catch(() => {});
      await conn.close();
    }
  });

  it('declares a missing exchange itself, and stops when aborted', async () => {
    const conn = await connect(url);
    const name = `sim-test-${randomBytes(6).toString('hex')}`;
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      // No count and no duration: only the signal ends it.
      const r = await publishTraffic({
        url,
        exchange: name,
        model: createTrafficModel({ seed: 1, hosts: 1, format: 'both', errorRatio: 0, exists: false, ratePerSecond: 100 }),
        ratePerSecond: 100,
        signal: ac.signal,
      });
      assert.equal(r.exchangeDeclared, true);
      assert.ok(r.sent >= 10 && r.sent <= 40, `sent ${r.sent}`);
      assert.equal(r.stats.total, r.sent);
      const ch = await conn.createChannel();
      await ch.checkExchange(name);
      await ch.deleteExchange(name);
      await ch.close();
    } finally {
      await conn.close();
    }
  });
});
