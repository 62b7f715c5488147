/**
 * The reference everyone writes first: per message JSON.parse the envelope, JSON.parse
 * oslo.message, inc a prom-client counter by a labels object, ack it on its own.
 */
import { connect } from 'amqplib';
import { Counter, Registry } from 'prom-client';
import { OSLO_MESSAGE_KEY } from '../../src/oslo/wire.js';
import { childArgs, DrainMeter, exitOnTerm, report, type DrainArgs } from './common.js';

const args = childArgs<DrainArgs>();
const registry = new Registry();
const counter = new Counter({
  name: 'openstack_notifications_total',
  help: 'Notifications by event type, priority, publisher and host.',
  labelNames: ['event_type', 'priority', 'publisher', 'host'] as const,
  registers: [registry],
});
const connection = await connect(args.url);
const channel = await connection.createChannel();
await channel.prefetch(args.prefetch);
const meter = new DrainMeter(args.count);
await channel.consume(args.queue, (msg) => {
  if (msg === null) return;
  const outer = JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>;
  const inner = JSON.parse(outer[OSLO_MESSAGE_KEY] as string) as Record<string, string>;
  const pid = inner['publisher_id'] ?? '';
  const cut = pid.includes(':') ? pid.indexOf(':') : pid.indexOf('.');
  counter.inc({
    event_type: inner['event_type'] ?? '',
    priority: inner['priority'] ?? '',
    publisher: cut < 0 ? pid : pid.slice(0, cut),
    host: cut < 0 ? 'unknown' : pid.slice(cut + 1),
  });
  channel.ack(msg);
  meter.tick();
});
report('ready');
exitOnTerm(() => connection.close());
