/**
 * Where oslo.messaging sends notifications: to the topic exchange named by the service's
 * `[DEFAULT] control_exchange` (Nova sets `nova`; oslo's own default is `openstack`), with
 * routing key `<topic>.<priority>`, and for each such key it declares a queue of the same
 * name (`notifications.info`, ...) bound to that exchange for Ceilometer and friends.
 */
import { PRIORITIES } from '../notifications/types.js';

/** oslo.messaging's default control_exchange: where a service sends when its config does not say. */
export const OSLO_DEFAULT_EXCHANGE = 'openstack';

/** The exchanges other OpenStack services publish to: their traffic there is not Nova's. */
export const OTHER_SERVICE_EXCHANGES: ReadonlySet<string> = new Set([
  'cinder',
  'neutron',
  'glance',
  'keystone',
  'heat',
  'octavia',
  'ironic',
  'designate',
  'manila',
  'magnum',
  'trove',
  'aodh',
  'ceilometer',
]);

/** The queues oslo declares for these topics: `<topic>.<priority lower-case>`. */
export function osloQueueNames(topics: readonly string[]): string[] {
  return topics.flatMap((topic) => PRIORITIES.map((p) => `${topic}.${p.toLowerCase()}`));
}

/** The hint for notifications going to another exchange than the one configured. */
export function controlExchangeHint(configured: string, actual: string): string {
  return `Nova may be publishing to exchange ${actual}: set [DEFAULT] control_exchange = ${configured} in nova.conf, or run with --amqp.exchange ${actual}`;
}
