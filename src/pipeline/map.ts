/**
 * The map stage: a notification → the facts its mappers find. Each service's mapper stands
 * beside the others: Nova's in code (instances), the declarative mapping for the rest.
 * Adding a service is a mapping rule, not a change here or in the metrics.
 */
import type { ResourceFact } from '../mapping/facts.js';
import type { InstanceEvent } from '../nova/instance-event.js';
import type { Mapper } from './facts.js';
import type { Notification } from './notification.js';

export interface Mappers {
  /** receivedAt: epoch seconds, what the payload's own times are judged against when the notification has no time. */
  readonly instance: (n: Notification, receivedAt: number) => InstanceEvent | undefined;
  readonly resources: (n: Notification) => readonly ResourceFact[];
}

export function createMap(mappers: Mappers): Mapper {
  return (notification, receivedAt, streamTime) => ({
    notification,
    instance: mappers.instance(notification, receivedAt),
    resources: mappers.resources(notification),
    receivedAt,
    streamTime,
  });
}
