import type { Registry } from 'prom-client';
import type { Facts, FactSink } from '../pipeline/facts.js';
import { CellMetric } from './cells.js';
import { ChildCache } from './labels.js';

type Inc = { inc(value?: number): void };
type Set = { set(value: number): void };

/** Every counted notification, whatever its service: the traffic itself. */
export class NotificationMetrics implements FactSink {
  private readonly notifications: ChildCache<Inc>;
  private readonly lastReceived: ChildCache<Set>;

  constructor(registry: Registry) {
    // Cells, not prom-client children: no label hashing on the hot path.
    const total = new CellMetric(
      'openstack_notifications_total',
      'Notifications received, by event type, priority, publishing service and host.',
      'counter',
      ['event_type', 'priority', 'publisher', 'host'],
      registry,
    );
    this.notifications = new ChildCache<Inc>((v) => total.cell(v));
    const last = new CellMetric(
      'openstack_notification_last_received_timestamp_seconds',
      'When the exporter last received a notification from this publisher and host (unix time).',
      'gauge',
      ['publisher', 'host'],
      registry,
      true,
    );
    this.lastReceived = new ChildCache<Set>((v) => last.cell(v));
  }

  record({ notification: n, receivedAt }: Facts): void {
    this.notifications.get(n.eventType, n.priority, n.publisher, n.host).inc();
    this.lastReceived.get(n.publisher, n.host).set(receivedAt);
  }
}
