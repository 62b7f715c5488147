/**
 * Where oslo.messaging sends notifications: to the topic exchange named by the service's
 * `[DEFAULT] control_exchange` (Nova sets `nova`; oslo's own default is `openstack`), with
 * routing key `<topic>.<priority>`, and for each such key it declares a queue of the same
 * name (`notifications.info`, ...) bound to that exchange for Ceilometer and friends.
 */
import { SERVICES } from '../mapping/services.js';
import { PRIORITIES } from './priority.js';
import { OSLO_DEFAULT_EXCHANGE, routingKey } from './wire.js';

/** The exchanges other OpenStack services publish to: their traffic there is not Nova's. */
export const OTHER_SERVICE_EXCHANGES: ReadonlySet<string> = new Set([
  // The services the exporter maps, by their own exchanges (not oslo's shared default).
  ...Object.values(SERVICES)
    .filter((s) => s.name !== 'nova')
    .flatMap((s) => s.exchanges)
    .filter((x) => x !== OSLO_DEFAULT_EXCHANGE),
  // Services it does not map yet, which publish the same way.
  'designate',
  'manila',
  'magnum',
  'trove',
  'aodh',
  'ceilometer',
]);

/** The queues oslo declares for these topics: `<topic>.<priority lower-case>`. */
export function osloQueueNames(topics: readonly string[]): string[] {
  return topics.flatMap((topic) => PRIORITIES.map((p) => routingKey(topic, p)));
}

/** The hint for notifications going to another exchange than the one configured. */
export function controlExchangeHint(configured: string, actual: string): string {
  return `Nova may be publishing to exchange ${actual}: set [DEFAULT] control_exchange = ${configured} in nova.conf, or run with --amqp.exchange ${actual}`;
}
