import assert from 'node:assert/strict';
import { test } from 'node:test';
import { elsewhereHint, type OsloTraffic } from '../../src/commands/check-elsewhere.js';
import type { Arrival, Flow } from '../../src/commands/check-flow.js';
import { decodeNotification } from '../../src/pipeline/decode.js';
import { osloEnvelope } from '../support/broker.js';

const arrival = (exchange: string, eventType: string): Arrival => ({
  exchange,
  routingKey: 'notifications.info',
  decoded: decodeNotification(osloEnvelope({ event_type: eventType, priority: 'INFO', publisher_id: 'x.h1', payload: {} }), {
    maxMessageBytes: 1 << 20,
  }),
});
const none: OsloTraffic = { osloQueues: [], feeding: [], watch: [], feedingConfigured: [] };
const flow = (...elsewhere: Arrival[]): Flow => ({ arrival: undefined, elsewhere, firstByExchange: new Map() });
const named = (x: string) =>
  `Nova may be publishing to exchange ${x}: set [DEFAULT] control_exchange = nova in nova.conf, or run with --amqp.exchange ${x}`;

test('names the exchange where Nova was seen, else the one feeding oslo queues that is no other service', () => {
  const cases: [string, OsloTraffic, Flow | undefined, string | undefined][] = [
    ['nothing anywhere', none, flow(), undefined],
    [
      "Nova's traffic seen on openstack",
      { ...none, watch: ['openstack'] },
      flow(arrival('openstack', 'compute.instance.update')),
      named('openstack'),
    ],
    ["only Cinder's traffic seen", { ...none, watch: ['openstack'] }, flow(arrival('openstack', 'volume.create.end')), undefined],
    [
      'oslo queues fed by cinder and openstack',
      { ...none, osloQueues: ['notifications.info'], feeding: ['cinder', 'openstack'] },
      flow(),
      named('openstack'),
    ],
    ['oslo queues fed by cinder only', { ...none, osloQueues: ['notifications.info'], feeding: ['cinder'] }, flow(), undefined],
    ['openstack exists, not watched yet', { ...none, watch: ['openstack'] }, undefined, named('openstack')],
    ['openstack exists, watched, nothing from Nova', { ...none, watch: ['openstack'] }, flow(), undefined],
    [
      "oslo's queue fed by nova itself and by openstack (Cinder's): Nova sends to nova, no blame",
      {
        ...none,
        osloQueues: ['notifications.info'],
        feeding: ['openstack'],
        feedingConfigured: [{ exchange: 'nova', queue: 'notifications.info' }],
      },
      flow(),
      undefined,
    ],
    [
      "fed by nova, but Nova's own notifications seen on openstack meanwhile: that is named",
      { ...none, osloQueues: ['notifications.info'], feedingConfigured: [{ exchange: 'nova', queue: 'notifications.info' }] },
      flow(arrival('openstack', 'compute.instance.update')),
      named('openstack'),
    ],
  ];
  for (const [what, traffic, f, expected] of cases) {
    const hint = elsewhereHint('nova', traffic, f, true);
    if (expected === undefined) assert.ok(hint === undefined || !hint.startsWith('Nova may'), what);
    else assert.equal(hint, expected, what);
  }
});

test("oslo's queues without the management API: says notifications are sent here and how to learn where, blaming nothing", () => {
  const traffic = { ...none, osloQueues: ['notifications.info', 'notifications.error'] };
  assert.equal(
    elsewhereHint('nova', traffic, flow(), false),
    "the vhost has oslo's notifications.info, notifications.error queues, so notifications are sent to it; give --management.url to see which exchange feeds them: if not nova, set [DEFAULT] control_exchange = nova in nova.conf (oslo's default is openstack)",
  );
});

test("with the management API, oslo's queue bound to the configured exchange gives no control_exchange hint at all", () => {
  const traffic = { ...none, osloQueues: ['notifications.info'], feedingConfigured: [{ exchange: 'nova', queue: 'notifications.info' }] };
  assert.equal(elsewhereHint('nova', traffic, flow(), true), undefined);
});
