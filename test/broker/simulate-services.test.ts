import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { createCloudTrafficModel } from '../../src/simulate/cloud.js';
import { publishTraffic } from '../../src/simulate/publisher.js';
import { eventually } from '../support/exporter.js';
import { suiteVhost } from '../support/vhost.js';

const fixedClock = () => Date.UTC(2026, 10, 25, 9, 58, 0);

describe('simulate publishes each service to its own exchange', () => {
  const suite = suiteVhost();

  test('Nova to the given exchange, Cinder and Ironic to theirs, declared as oslo does when missing', async () => {
    const { channel } = suite.broker;
    const received: ConsumeMessage[] = [];
    const opts = {
      seed: 5,
      hosts: 2,
      format: 'unversioned',
      errorRatio: 0.2,
      exists: false,
      now: fixedClock,
      services: ['nova', 'cinder', 'ironic'],
    } as const;
    // A first run declares the service exchanges; then queues bind and a second run is counted.
    const first = await publishTraffic({ url: suite.vhost.url, exchange: 'nova', model: createCloudTrafficModel(opts), count: 40 });
    assert.equal(first.sent, 40);
    for (const [exchange, key] of [
      ['nova', 'notifications.*'],
      ['cinder', 'notifications.*'],
      ['ironic', 'ironic_versioned_notifications.*'],
    ] as const) {
      const q = await suite.broker.queue(`osne-sim-${exchange}`, { exchange, key });
      await channel.consume(q, (m) => m && received.push(m), { noAck: true });
    }
    const model = createCloudTrafficModel(opts);
    const result = await publishTraffic({ url: suite.vhost.url, exchange: 'nova', model, count: 200 });
    assert.equal(result.sent, 200);
    await eventually(() => assert.equal(received.length, 200), 15_000);
    const byExchange = new Map<string, number>();
    for (const m of received) byExchange.set(m.fields.exchange, (byExchange.get(m.fields.exchange) ?? 0) + 1);
    assert.deepEqual([...byExchange.keys()].sort(), ['cinder', 'ironic', 'nova']);
    for (const m of received.filter((x) => x.fields.exchange === 'ironic')) {
      assert.match(m.fields.routingKey, /^ironic_versioned_notifications\.(info|error)$/);
      const inner = JSON.parse((JSON.parse(m.content.toString()) as { 'oslo.message': string })['oslo.message']) as { event_type: string };
      assert.match(inner.event_type, /^baremetal\.node\.provision_set\./);
    }
    assert.equal(result.stats.total, 200);
  });
});
