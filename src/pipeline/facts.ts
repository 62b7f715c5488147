/**
 * What the map stage hands on: a decoded notification and the facts the mappers found in
 * it. Every fact kind is produced by a mapper (Nova's in code, the services' from the
 * mapping file) and consumed by the metrics and the landing page's summary alike, after
 * the label stage has bounded its values once.
 */
import type { ResourceFact } from '../mapping/facts.js';
import type { InstanceEvent } from '../nova/instance-event.js';
import type { Notification } from './notification.js';

export interface Facts {
  readonly notification: Notification;
  /** Nova's instance facts, from the payload format the instance metrics follow. */
  readonly instance: InstanceEvent | undefined;
  /** The other services' facts, from the declarative mapping (empty when no rule matches). */
  readonly resources: readonly ResourceFact[];
  /** Epoch seconds: when the exporter received it (the notification's own clock is in `notification`). */
  readonly receivedAt: number;
  /**
   * Epoch seconds: the stream's clock when it was counted (stream-clock.ts): the time of a
   * fact without a usable time of its own, and the clock actions in flight age by.
   */
  readonly streamTime: number;
}

/** One notification → its facts. Pure: the same notification always gives the same facts. */
export type Mapper = (n: Notification, receivedAt: number, streamTime: number) => Facts;

/** A stage after the label bound: the metrics, the live summary. */
export interface FactSink {
  record(facts: Facts): void;
}
