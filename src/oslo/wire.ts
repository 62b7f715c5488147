/**
 * How oslo.messaging puts a notification on RabbitMQ: the messagingv2 envelope, the
 * routing key, and the message properties its rabbit driver (kombu) sets. The decoder,
 * `simulate`, the tests and the bench all publish and read through these.
 */
import type { Options } from 'amqplib';

/** oslo.messaging's default control_exchange: where a service sends when its config does not say. */
export const OSLO_DEFAULT_EXCHANGE = 'openstack';

/** The key of the messagingv2 envelope that holds the inner message as a JSON string. */
export const OSLO_MESSAGE_KEY = 'oslo.message';
export const OSLO_VERSION = '2.0';

export interface OsloEnvelope {
  readonly 'oslo.version': typeof OSLO_VERSION;
  readonly 'oslo.message': string;
}

/** The messagingv2 wire body: the inner message JSON-encoded inside an envelope. */
export function osloEnvelope(inner: unknown): OsloEnvelope {
  return { 'oslo.version': OSLO_VERSION, [OSLO_MESSAGE_KEY]: JSON.stringify(inner) } as OsloEnvelope;
}

/** The envelope as the bytes published. */
export function osloBody(inner: unknown): Buffer {
  return Buffer.from(JSON.stringify(osloEnvelope(inner)));
}

/** oslo's routing key: `<topic>.<priority lower-case>`. */
export function routingKey(topic: string, priority: string): string {
  return `${topic}.${priority.toLowerCase()}`;
}

/** The routing keys that catch every priority of these topics: `<topic>.*`. */
export function bindingKeys(topics: readonly string[]): string[] {
  return topics.map((t) => `${t}.*`);
}

/**
 * The properties kombu gives oslo's notifications (checked against Debian's
 * python3-oslo.messaging 14: exactly these, persistent, no message id).
 */
export const OSLO_PUBLISH_OPTIONS: Readonly<Options.Publish> = Object.freeze({
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  headers: {},
  deliveryMode: 2,
  priority: 0,
});
