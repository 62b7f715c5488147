import type { InstanceEvent } from '../../src/nova/instance-event.js';
import type { Facts } from '../../src/pipeline/facts.js';
import type { Notification } from '../../src/pipeline/notification.js';

/** An instance event with every field empty but the ones given. */
export function instanceEvent(over: Partial<InstanceEvent> = {}): InstanceEvent {
  return {
    instanceId: 'i-1',
    host: 'cmp-1',
    action: undefined,
    phase: undefined,
    state: undefined,
    stateTransition: undefined,
    taskStateTransition: undefined,
    exception: undefined,
    isError: false,
    buildDurationSeconds: undefined,
    isAudit: false,
    requestId: undefined,
    ...over,
  };
}

/** The facts of one notification as the label stage hands them on. */
export function facts(n: Partial<Notification> = {}, instance: Partial<InstanceEvent> | undefined = undefined, receivedAt = 0): Facts {
  return {
    notification: {
      messageId: undefined,
      eventType: 'compute.instance.update',
      priority: 'INFO',
      publisherId: 'compute.cmp-1',
      publisher: 'compute',
      host: 'cmp-1',
      requestId: undefined,
      timestampSeconds: undefined,
      format: 'legacy',
      envelope: 'v2',
      exchange: 'nova',
      payload: {},
      ...n,
    },
    instance: instance && instanceEvent(instance),
    resources: [],
    receivedAt,
    streamTime: receivedAt,
  };
}
