/**
 * The bounding stage for mapping facts: every label value capped once, here, by the same
 * LabelLimiter as the Nova metrics (one budget per label name, `other` past it), so the
 * metrics downstream count facts as they are. Resource ids are keys, not labels: untouched.
 */
import type { LabelLimiter } from '../metrics/labels.js';
import type { ResourceFact } from './facts.js';

export function boundResourceFact(fact: ResourceFact, limiter: LabelLimiter): ResourceFact {
  const b = (label: string, value: string) => limiter.bound(label, value);
  switch (fact.kind) {
    case 'action':
      return {
        ...fact,
        service: b('service', fact.service),
        resource: b('resource', fact.resource),
        action: b('action', fact.action),
        host: b('host', fact.host),
      };
    case 'status':
      return {
        ...fact,
        service: b('service', fact.service),
        resource: b('resource', fact.resource),
        status: b('status', fact.status),
        host: b('host', fact.host),
      };
    case 'removed':
      return { ...fact, service: b('service', fact.service), resource: b('resource', fact.resource) };
    case 'error':
      return {
        ...fact,
        service: b('service', fact.service),
        eventType: b('event_type', fact.eventType),
        exception: b('exception', fact.exception),
        host: b('host', fact.host),
      };
    case 'authentication':
      // A fixed set of four values: nothing to cap.
      return fact;
  }
}
