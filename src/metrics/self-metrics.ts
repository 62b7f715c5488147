import { Counter, Gauge, type Registry } from 'prom-client';
import { DROP_REASONS, type DropReason } from '../pipeline/notification.js';
import { BOUNDED_LABELS } from './labels.js';
import { TIME_REJECTIONS, type TimeRejection } from '../pipeline/time-window.js';

export const SELF_PREFIX = 'openstack_notification_exporter_';
export const TRACKED_KINDS = ['instances', 'actions', 'resources', 'resource_actions'] as const;
export const INVENTORY_KINDS = ['instances', 'resources'] as const;

/**
 * The exporter's view of its own counting: what came in, what it had to drop and which
 * caps it hit. Every label value is known in advance and exported at 0 from the start, so
 * dashboards and alerts see 0 → 1 rather than "no data".
 */
export class SelfMetrics {
  readonly received: Counter;
  readonly dropped: Counter<'reason'>;
  readonly labelOverflow: Counter<'label'>;
  readonly trackedOverflow: Counter<'kind'>;
  readonly inventoryExpired: Counter<'kind'>;
  readonly timestampsIgnored: Counter<'reason'>;

  constructor(registry: Registry, version: string) {
    const registers = [registry];
    new Gauge({
      name: `${SELF_PREFIX}build_info`,
      help: 'Version of the exporter and of Node.js it runs on; always 1.',
      labelNames: ['version', 'nodejs'] as const,
      registers,
    }).set({ version, nodejs: process.version }, 1);
    this.received = new Counter({
      name: `${SELF_PREFIX}messages_received_total`,
      help: 'Messages delivered from the queue, decodable or not.',
      registers,
    });
    this.dropped = new Counter({
      name: `${SELF_PREFIX}messages_dropped_total`,
      help: 'Messages acknowledged but not counted as notifications, by reason.',
      labelNames: ['reason'] as const,
      registers,
    });
    for (const reason of DROP_REASONS) this.dropped.inc({ reason }, 0);
    this.labelOverflow = new Counter({
      name: `${SELF_PREFIX}label_values_overflow_total`,
      help: 'Label values replaced by "other" because the label reached its cap.',
      labelNames: ['label'] as const,
      registers,
    });
    for (const label of BOUNDED_LABELS) this.labelOverflow.inc({ label }, 0);
    this.trackedOverflow = new Counter({
      name: `${SELF_PREFIX}tracked_overflow_total`,
      help: 'Instances, resources or pending actions not tracked (or evicted) because their cap was reached.',
      labelNames: ['kind'] as const,
      registers,
    });
    for (const kind of TRACKED_KINDS) this.trackedOverflow.inc({ kind }, 0);
    this.inventoryExpired = new Counter({
      name: `${SELF_PREFIX}inventory_expired_total`,
      help: 'Instances or resources taken out of the inventory because no audit (exists) named them for two audit periods: their deletion was missed.',
      labelNames: ['kind'] as const,
      registers,
    });
    for (const kind of INVENTORY_KINDS) this.inventoryExpired.inc({ kind }, 0);
    this.timestampsIgnored = new Counter({
      name: `${SELF_PREFIX}timestamps_ignored_total`,
      help: "Notification times (timestamp, or a payload's created_at/launched_at) outside the window around the exporter's clock: the notification is counted, the time is not used.",
      labelNames: ['reason'] as const,
      registers,
    });
    for (const reason of TIME_REJECTIONS) this.timestampsIgnored.inc({ reason }, 0);
  }

  timeRejected(reason: TimeRejection): void {
    this.timestampsIgnored.inc({ reason });
  }

  drop(reason: DropReason): void {
    this.dropped.inc({ reason });
  }
}
