/**
 * The services `--openstack.services` knows: where each publishes. Every one uses
 * oslo.messaging's notifier: a topic exchange named by its `control_exchange`, routing key
 * `<topic>.<priority>`, topic `notifications` unless the service says otherwise.
 * Checked against each service's source (set_transport_defaults / its topic options).
 */

import { DEFAULT_TOPICS, topicsFor } from '../nova/format.js';
import { OSLO_DEFAULT_EXCHANGE } from '../oslo/wire.js';

export interface ServiceBinding {
  /** As `--openstack.services` spells it, and as the `service` label reads. */
  readonly name: string;
  /** Exchanges it publishes to, most likely first. */
  readonly exchanges: readonly string[];
  /** oslo topics (the routing key is `<topic>.<priority>`). */
  readonly topics: readonly string[];
  /** The mapping that turns its notifications into facts. */
  readonly mapper: 'nova' | 'mapping';
}

export const SERVICES: Readonly<Record<string, ServiceBinding>> = {
  // nova/config.py: rpc.set_defaults(control_exchange='nova'); nova/conf/notifications.py:
  // legacy on `notifications`, versioned on `versioned_notifications_topics`.
  nova: { name: 'nova', exchanges: ['nova'], topics: topicsFor('both'), mapper: 'nova' },
  // Cinder has not called set_transport_defaults since its move to oslo.messaging (2014), so it
  // publishes to oslo's default `openstack` unless cinder.conf sets `control_exchange = cinder`
  // (as Ceilometer expects and most deployment tools do).
  cinder: { name: 'cinder', exchanges: ['cinder', OSLO_DEFAULT_EXCHANGE], topics: [DEFAULT_TOPICS.legacy], mapper: 'mapping' },
  // neutron/common/config.py: set_transport_defaults(control_exchange='neutron').
  neutron: { name: 'neutron', exchanges: ['neutron'], topics: [DEFAULT_TOPICS.legacy], mapper: 'mapping' },
  // glance/notifier.py: set_defaults(control_exchange='glance').
  glance: { name: 'glance', exchanges: ['glance'], topics: [DEFAULT_TOPICS.legacy], mapper: 'mapping' },
  // keystone/conf/__init__.py: set_transport_defaults(control_exchange='keystone').
  keystone: { name: 'keystone', exchanges: ['keystone'], topics: [DEFAULT_TOPICS.legacy], mapper: 'mapping' },
  // heat/common/messaging.py: set_transport_defaults('heat').
  heat: { name: 'heat', exchanges: ['heat'], topics: [DEFAULT_TOPICS.legacy], mapper: 'mapping' },
  // octavia/common/config.py: set_transport_defaults(control_exchange='octavia').
  octavia: { name: 'octavia', exchanges: ['octavia'], topics: [DEFAULT_TOPICS.legacy], mapper: 'mapping' },
  // ironic/common/config.py: rpc.set_defaults(control_exchange='ironic'); versioned only, on
  // [DEFAULT] versioned_notifications_topics (ironic/conf/default.py).
  ironic: { name: 'ironic', exchanges: ['ironic'], topics: ['ironic_versioned_notifications'], mapper: 'mapping' },
};

export const SERVICE_NAMES: readonly string[] = Object.keys(SERVICES);

/** `nova,cinder` → bindings; an unknown name is a one-line error naming the known ones. */
export function resolveServices(names: readonly string[]): ServiceBinding[] {
  return names.map((name) => {
    const binding = SERVICES[name];
    if (!binding) throw new RangeError(`unknown service '${name}' (known: ${SERVICE_NAMES.join(', ')})`);
    return binding;
  });
}
