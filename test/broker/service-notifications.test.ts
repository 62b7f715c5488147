import assert from 'node:assert/strict';
import { TEST_OSLO_DURABLE, TEST_OSLO_QUERY } from '../support/target.js';
import { describe, test } from 'node:test';
import type { ConsumeMessage } from 'amqplib';
import { compileMapping, loadMappings, mapServiceNotification, SERVICES, type ResourceFact } from '../../src/mapping/index.js';
import { decodeNotification } from '../../src/pipeline/decode.js';
import { eventually } from '../support/exporter.js';
import { osloNotify } from '../support/oslo.js';
import { suiteVhost } from '../support/vhost.js';

const TOKEN = 'gAAAAABservice-token-that-must-never-show-up-42';
const context = { auth_token: TOKEN, request_id: 'req-5e0c0ffe-0000-4000-8000-000000000001', user_id: 'u1', project_id: 'p1' };

/** A fact without its time: Omit spread over each kind of the union. */
type Timeless<F> = F extends unknown ? Omit<F, 'at'> : never;

interface Case {
  readonly service: string;
  readonly publisher_id: string;
  readonly notifications: readonly { priority: string; event_type: string; payload: unknown }[];
  /** Facts of each notification, in order, without the time (oslo stamps the wall clock). */
  readonly facts: readonly (readonly Timeless<ResourceFact>[])[];
}

const vid = '0b1c2d3e-0000-4000-8000-00000000000a';
const node = (provision_state: string, event: string) => ({
  'ironic_object.name': 'NodeSetProvisionStatePayload',
  'ironic_object.namespace': 'ironic',
  'ironic_object.version': '1.16',
  'ironic_object.data': { uuid: 'n-1', provision_state, previous_provision_state: 'available', event, fault: null },
});

/** What each service sends for a small lifecycle, with the real Notifier, to its own exchange. */
const CASES: Case[] = [
  {
    service: 'cinder',
    publisher_id: 'backup.stor-1',
    notifications: [
      {
        priority: 'info',
        event_type: 'backup.create.start',
        payload: { backup_id: 'b-1', volume_id: vid, status: 'creating', host: 'stor-1' },
      },
      {
        priority: 'info',
        event_type: 'backup.create.end',
        payload: { backup_id: 'b-1', volume_id: vid, status: 'available', host: 'stor-1' },
      },
    ],
    facts: [
      [
        { kind: 'action', service: 'cinder', resource: 'backup', action: 'create', phase: 'start', host: 'stor-1', resourceId: 'b-1' },
        { kind: 'status', service: 'cinder', resource: 'backup', resourceId: 'b-1', status: 'creating', host: 'stor-1', audit: false },
      ],
      [
        { kind: 'action', service: 'cinder', resource: 'backup', action: 'create', phase: 'end', host: 'stor-1', resourceId: 'b-1' },
        { kind: 'status', service: 'cinder', resource: 'backup', resourceId: 'b-1', status: 'available', host: 'stor-1', audit: false },
      ],
    ],
  },
  {
    service: 'neutron',
    publisher_id: 'network.net-1',
    notifications: [{ priority: 'info', event_type: 'port.create.end', payload: { port: { id: 'p-1', status: 'DOWN', network_id: 'n' } } }],
    facts: [
      [
        { kind: 'action', service: 'neutron', resource: 'port', action: 'create', phase: 'end', host: 'net-1', resourceId: 'p-1' },
        { kind: 'status', service: 'neutron', resource: 'port', resourceId: 'p-1', status: 'DOWN', host: 'net-1', audit: false },
      ],
    ],
  },
  {
    service: 'glance',
    publisher_id: 'image.img-1',
    notifications: [
      { priority: 'info', event_type: 'image.prepare', payload: { id: 'i-1', status: 'queued' } },
      { priority: 'error', event_type: 'image.upload', payload: { id: 'i-1', status: 'saving' } },
    ],
    facts: [
      [
        { kind: 'action', service: 'glance', resource: 'image', action: 'upload', phase: 'start', host: 'img-1', resourceId: 'i-1' },
        { kind: 'status', service: 'glance', resource: 'image', resourceId: 'i-1', status: 'queued', host: 'img-1', audit: false },
      ],
      [
        { kind: 'action', service: 'glance', resource: 'image', action: 'upload', phase: 'error', host: 'img-1', resourceId: 'i-1' },
        { kind: 'error', service: 'glance', eventType: 'image.upload', exception: 'unknown', host: 'img-1' },
        { kind: 'status', service: 'glance', resource: 'image', resourceId: 'i-1', status: 'saving', host: 'img-1', audit: false },
      ],
    ],
  },
  {
    service: 'keystone',
    publisher_id: 'identity.ks-1',
    notifications: [
      {
        priority: 'info',
        event_type: 'identity.authenticate',
        payload: { action: 'authenticate', outcome: 'failure', initiator: { id: 'u-9', host: { address: '192.0.2.7' } } },
      },
    ],
    facts: [[{ kind: 'authentication', outcome: 'failure' }]],
  },
  {
    service: 'heat',
    publisher_id: 'orchestration.heat-1',
    notifications: [
      {
        priority: 'info',
        event_type: 'orchestration.stack.create.start',
        payload: { stack_identity: 'arn:openstack:heat::p1:stacks/s/1', state: 'CREATE_IN_PROGRESS' },
      },
      {
        priority: 'error',
        event_type: 'orchestration.stack.create.error',
        payload: { stack_identity: 'arn:openstack:heat::p1:stacks/s/1', state: 'CREATE_FAILED' },
      },
    ],
    facts: [
      [
        {
          kind: 'action',
          service: 'heat',
          resource: 'stack',
          action: 'create',
          phase: 'start',
          host: 'heat-1',
          resourceId: 'arn:openstack:heat::p1:stacks/s/1',
        },
        {
          kind: 'status',
          service: 'heat',
          resource: 'stack',
          resourceId: 'arn:openstack:heat::p1:stacks/s/1',
          status: 'CREATE_IN_PROGRESS',
          host: 'heat-1',
          audit: false,
        },
      ],
      [
        {
          kind: 'action',
          service: 'heat',
          resource: 'stack',
          action: 'create',
          phase: 'error',
          host: 'heat-1',
          resourceId: 'arn:openstack:heat::p1:stacks/s/1',
        },
        { kind: 'error', service: 'heat', eventType: 'orchestration.stack.create.error', exception: 'unknown', host: 'heat-1' },
        {
          kind: 'status',
          service: 'heat',
          resource: 'stack',
          resourceId: 'arn:openstack:heat::p1:stacks/s/1',
          status: 'CREATE_FAILED',
          host: 'heat-1',
          audit: false,
        },
      ],
    ],
  },
  {
    service: 'octavia',
    publisher_id: 'octavia-worker.lb-1',
    notifications: [
      { priority: 'info', event_type: 'octavia.loadbalancer.delete.end', payload: { id: 'lb-1', provisioning_status: 'DELETED' } },
    ],
    facts: [
      [
        { kind: 'action', service: 'octavia', resource: 'loadbalancer', action: 'delete', phase: 'end', host: 'lb-1', resourceId: 'lb-1' },
        { kind: 'removed', service: 'octavia', resource: 'loadbalancer', resourceId: 'lb-1' },
      ],
    ],
  },
  {
    service: 'ironic',
    publisher_id: 'ironic-conductor.cond-1',
    notifications: [
      { priority: 'info', event_type: 'baremetal.node.provision_set.start', payload: node('deploying', 'deploy') },
      { priority: 'info', event_type: 'baremetal.node.provision_set.end', payload: node('active', 'done') },
    ],
    facts: [
      [
        { kind: 'action', service: 'ironic', resource: 'node', action: 'provision', phase: 'start', host: 'cond-1', resourceId: 'n-1' },
        { kind: 'status', service: 'ironic', resource: 'node', resourceId: 'n-1', status: 'deploying', host: 'cond-1', audit: false },
      ],
      [
        { kind: 'action', service: 'ironic', resource: 'node', action: 'provision', phase: 'end', host: 'cond-1', resourceId: 'n-1' },
        { kind: 'status', service: 'ironic', resource: 'node', resourceId: 'n-1', status: 'active', host: 'cond-1', audit: false },
      ],
    ],
  },
];

describe("every service's notifications, sent by oslo.messaging's Notifier to the service's exchange", () => {
  const suite = suiteVhost();
  const mapping = compileMapping(loadMappings());

  for (const c of CASES) {
    test(`${c.service}: arrives on ${SERVICES[c.service]?.exchanges[0]} and maps to the expected facts`, async () => {
      const binding = SERVICES[c.service];
      assert.ok(binding);
      const exchange = binding.exchanges[0] as string;
      const topic = binding.topics[0] as string;
      const { channel } = suite.broker;
      // Declared as oslo declares it (topic, durable as the test broker needs), so the queue can be bound first.
      await channel.assertExchange(exchange, 'topic', { durable: TEST_OSLO_DURABLE });
      const queue = await suite.broker.queue(`osne-services-${c.service}`, { exchange, key: `${topic}.*` });
      const received: ConsumeMessage[] = [];
      const { consumerTag } = await channel.consume(queue, (m) => m && received.push(m), { noAck: true });

      await osloNotify({
        url: `${suite.vhost.url.replace('amqp://', 'rabbit://')}${TEST_OSLO_QUERY}`,
        exchange,
        driver: 'messagingv2',
        publisher_id: c.publisher_id,
        topics: [topic],
        context,
        notifications: c.notifications,
      });
      await eventually(() => assert.equal(received.length, c.notifications.length), 15_000);
      await channel.cancel(consumerTag);

      received.forEach((m, i) => {
        const sent = c.notifications[i];
        assert.ok(sent);
        assert.equal(m.fields.exchange, exchange);
        assert.equal(m.fields.routingKey, `${topic}.${sent.priority}`);
        const decoded = decodeNotification(m.content, { maxMessageBytes: 1 << 20 }, m.fields.exchange);
        assert.ok(decoded.ok);
        assert.equal(decoded.notification.exchange, exchange);
        assert.equal(decoded.notification.envelope, 'v2');
        const facts = mapServiceNotification(mapping, decoded.notification);
        assert.ok(
          facts.every(
            (f) =>
              f.kind === 'authentication' || f.kind === 'error' || (typeof f.at === 'number' && Math.abs(f.at - Date.now() / 1000) < 300),
          ),
          'timed by the Notifier clock',
        );
        assert.deepEqual(
          facts.map(({ ...f }) => {
            delete (f as { at?: number }).at;
            return f;
          }),
          c.facts[i],
        );
        assert.ok(!JSON.stringify(facts).includes(TOKEN));
      });
    });
  }
});
