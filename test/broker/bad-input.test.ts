import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestBroker, osloEnvelope } from '../support/broker.js';
import { eventually, runExporter } from '../support/exporter.js';
import { valueOf } from '../support/metrics-text.js';
import { createVhost, listQueues } from '../support/vhost.js';

const good = { event_type: 'compute.instance.update', priority: 'INFO', publisher_id: 'compute.h1', payload: {} };
const v2 = (inner: unknown) => osloEnvelope(inner);
// ~12 MB: far past --amqp.max-message-bytes, under RabbitMQ 4's default max message size (16 MiB).
const manyKeys = () => {
  const payload: Record<string, number> = {};
  for (let i = 0; i < 600_000; i++) payload[`k${i}`] = i;
  return v2({ ...good, payload });
};

/** Each bad body and what it must become: a drop reason, or a notification counted with `unknown`s. */
const CORPUS: [string, () => Buffer, string][] = [
  ['bytes that are not UTF-8', () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8'],
  ['text that is not JSON', () => Buffer.from('<xml>nope</xml>'), 'malformed_json'],
  ['JSON that is not an object', () => Buffer.from('[1, 2, 3]'), 'not_an_object'],
  ['oslo.message that is not a string', () => Buffer.from('{"oslo.version": "2.0", "oslo.message": {"a": 1}}'), 'malformed_envelope'],
  ['oslo.message that is not JSON', () => Buffer.from('{"oslo.version": "2.0", "oslo.message": "{{{"}'), 'malformed_envelope'],
  ['a message without event_type', () => v2({ priority: 'INFO', publisher_id: 'compute.h1', payload: {} }), 'missing_event_type'],
  ['a message over --amqp.max-message-bytes', () => v2({ ...good, payload: { blob: 'x'.repeat(1_100_000) } }), 'oversized'],
  ['a payload with 600,000 keys', manyKeys, 'oversized'],
  ['a state that is a number', () => v2({ ...good, payload: { old_state: 1, state: 2 } }), 'counted'],
  ['a payload that is a string', () => v2({ ...good, payload: 'text' }), 'counted'],
  ['an unknown priority', () => v2({ ...good, priority: 'LOUD' }), 'counted'],
  ['a publisher_id with no host', () => v2({ ...good, publisher_id: 'compute' }), 'counted'],
  ['a garbage timestamp', () => v2({ ...good, timestamp: 'the day after tomorrow' }), 'counted'],
  [
    'JSON nested 100,000 deep',
    () =>
      Buffer.from(
        JSON.stringify({
          'oslo.version': '2.0',
          'oslo.message': `{"event_type":"compute.instance.update","priority":"INFO","publisher_id":"compute.h1","payload":{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`,
        }),
      ),
    'counted',
  ],
];

test('bad input is acked, counted by reason, logged at a bounded rate, and the next good message counts', async () => {
  const vhost = await createVhost();
  const broker = await TestBroker.open(vhost.url);
  const exporter = await runExporter({ 'amqp.url': vhost.url, 'amqp.queue': 'q-bad' });
  try {
    await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
    const rounds = 3;
    for (let r = 0; r < rounds; r++) for (const [, body] of CORPUS) broker.publish('nova', 'notifications.info', body());
    broker.publishOslo('nova', { ...good, publisher_id: 'compute.after-the-garbage' });

    const s = await eventually(async () => {
      const scraped = await exporter.scrape();
      assert.equal(valueOf(scraped, 'openstack_notifications_total', { host: 'after-the-garbage' }), 1);
      return scraped;
    }, 30_000);
    const expected = new Map<string, number>();
    for (const [, , outcome] of CORPUS) expected.set(outcome, (expected.get(outcome) ?? 0) + rounds);
    for (const [outcome, n] of expected) {
      const got =
        outcome === 'counted'
          ? valueOf(s, 'openstack_notifications_total') - 1
          : valueOf(s, 'openstack_notification_exporter_messages_dropped_total', { reason: outcome });
      assert.equal(got, n, outcome);
    }
    assert.equal(valueOf(s, 'openstack_notifications_total', { priority: 'unknown' }), rounds);
    assert.equal(valueOf(s, 'openstack_notifications_total', { host: 'unknown' }), rounds);
    assert.equal(valueOf(s, 'openstack_instance_state_transitions_total'), 0, 'numbers are not states');
    assert.equal(valueOf(s, 'openstack_notification_exporter_messages_received_total'), rounds * CORPUS.length + 1);

    const queue = (await listQueues(vhost.name)).find((q) => q['name'] === 'q-bad');
    assert.equal(queue?.['messages'], 0, 'every message was acked, none requeued');
    const warnings = exporter.logs.filter((l) => l.includes('"message dropped"'));
    // At most 10 lines per reason a minute: every reason here stays under that, so each drop is
    // logged once, naming its reason and never quoting the body.
    const drops = CORPUS.filter(([, , outcome]) => outcome !== 'counted').length * rounds;
    assert.equal(warnings.length, drops);
    for (const l of warnings) assert.ok(/"reason":"[a-z0-9_]+"/.test(l) && !l.includes('xxxxxxxx'), l);
    assert.equal((await exporter.get('/-/healthy')).status, 200);
  } finally {
    await exporter.stop();
    await broker.close();
    await vhost.remove();
  }
});
