/**
 * The label stage: every value that becomes a label is bounded here, once, before any
 * metric or the landing page sees it. Past a label's cap new values read `other` and the
 * overflow is counted; values already seen keep their series.
 */
import type { InstanceEvent } from '../nova/instance-event.js';
import { createResourceBound } from '../mapping/bound.js';
import type { LabelLimiter } from '../metrics/labels.js';
import type { Facts } from './facts.js';

/** Facts → the same facts with every label value bounded. */
export function createLabelBound(limiter: LabelLimiter): (facts: Facts) => Facts {
  const eventType = limiter.label('event_type');
  const publisher = limiter.label('publisher');
  const host = limiter.label('host');
  const action = limiter.label('action');
  const state = limiter.label('state');
  const fromState = limiter.label('from_state');
  const toState = limiter.label('to_state');
  const fromTask = limiter.label('from_task_state');
  const toTask = limiter.label('to_task_state');
  const exception = limiter.label('exception');
  const resource = createResourceBound(limiter);

  const boundInstance = (e: InstanceEvent): InstanceEvent => ({
    ...e,
    host: host(e.host),
    action: e.action === undefined ? undefined : action(e.action),
    state: e.state === undefined ? undefined : state(e.state),
    stateTransition: e.stateTransition && { from: fromState(e.stateTransition.from), to: toState(e.stateTransition.to) },
    taskStateTransition: e.taskStateTransition && { from: fromTask(e.taskStateTransition.from), to: toTask(e.taskStateTransition.to) },
    exception: e.exception === undefined ? undefined : exception(e.exception),
  });

  return (facts) => {
    const n = facts.notification;
    return {
      // priority is one of a fixed set already (decode maps the rest to `unknown`).
      notification: { ...n, eventType: eventType(n.eventType), publisher: publisher(n.publisher), host: host(n.host) },
      instance: facts.instance && boundInstance(facts.instance),
      resources: facts.resources.length === 0 ? facts.resources : facts.resources.map(resource),
      receivedAt: facts.receivedAt,
      streamTime: facts.streamTime,
    };
  };
}
