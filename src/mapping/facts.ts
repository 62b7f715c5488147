/**
 * What the declarative mapping makes of a service's notification: facts, not metric
 * updates. The metrics stage counts them (src/metrics/resource-metrics.ts) after the
 * bounding stage has capped their label values (bound.ts). A resource id travels only as
 * the key that pairs an action's phases and keeps the inventory: it is never a label, and
 * neither is a user, project or request id.
 */

export const PHASES = ['start', 'end', 'error'] as const;
export type Phase = (typeof PHASES)[number];

/** CADF outcomes of `identity.authenticate`; anything else counts as `unknown`. */
export const AUTH_OUTCOMES = ['success', 'failure', 'pending', 'unknown'] as const;
export type AuthOutcome = (typeof AUTH_OUTCOMES)[number];

/** One phase of an action on a resource: `volume.create.start`, `port.delete.end`, ... */
export interface ActionFact {
  readonly kind: 'action';
  /** The service as `--openstack.services` spells it: `cinder`, `neutron`, ... */
  readonly service: string;
  /** Singular noun of the event type: `volume`, `port`, `stack`, ... */
  readonly resource: string;
  readonly action: string;
  readonly phase: Phase;
  readonly host: string;
  /** Pairs a start with its end or error; absent when the payload names none (e.g. Neutron's create.start). */
  readonly resourceId?: string;
  /** The notification's own clock (epoch seconds), when it has one. */
  readonly at?: number;
}

/** A resource's status now (inventory by status); `audit` when it came from a periodic audit (`volume.exists`). */
export interface StatusFact {
  readonly kind: 'status';
  readonly service: string;
  readonly resource: string;
  readonly resourceId: string;
  readonly status: string;
  readonly host: string;
  readonly audit: boolean;
  readonly at?: number;
}

/** The resource is gone (deleted): it leaves the inventory. */
export interface RemovedFact {
  readonly kind: 'removed';
  readonly service: string;
  readonly resource: string;
  readonly resourceId: string;
  readonly at?: number;
}

/** An error notification, by exception class (never the message text). */
export interface ErrorFact {
  readonly kind: 'error';
  readonly service: string;
  readonly eventType: string;
  readonly exception: string;
  readonly host: string;
}

/** Keystone's CADF `identity.authenticate`, by outcome only: never a user, project or address. */
export interface AuthenticationFact {
  readonly kind: 'authentication';
  readonly outcome: AuthOutcome;
}

export type ResourceFact = ActionFact | StatusFact | RemovedFact | ErrorFact | AuthenticationFact;
