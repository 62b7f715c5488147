/**
 * The label bound for the mapping's facts, part of the label stage (pipeline/labels.ts):
 * every label value capped once by the same LabelLimiter as Nova's (one budget per label
 * name, `other` past it). Resource ids are keys, not labels: untouched.
 */
import type { LabelLimiter } from '../metrics/labels.js';
import type { ResourceFact } from './facts.js';

export function createResourceBound(limiter: LabelLimiter): (fact: ResourceFact) => ResourceFact {
  const service = limiter.label('service');
  const resource = limiter.label('resource');
  const action = limiter.label('action');
  const status = limiter.label('status');
  const host = limiter.label('host');
  const eventType = limiter.label('event_type');
  const exception = limiter.label('exception');
  return (fact) => {
    switch (fact.kind) {
      case 'action':
        return {
          ...fact,
          service: service(fact.service),
          resource: resource(fact.resource),
          action: action(fact.action),
          host: host(fact.host),
        };
      case 'status':
        return {
          ...fact,
          service: service(fact.service),
          resource: resource(fact.resource),
          status: status(fact.status),
          host: host(fact.host),
        };
      case 'removed':
        return { ...fact, service: service(fact.service), resource: resource(fact.resource) };
      case 'error':
        return {
          ...fact,
          service: service(fact.service),
          eventType: eventType(fact.eventType),
          exception: exception(fact.exception),
          host: host(fact.host),
        };
      case 'authentication':
        // A fixed set of four values: nothing to cap.
        return fact;
    }
  };
}
