import { Counter, Gauge, type Registry } from 'prom-client';
import { DROP_REASONS, type DropReason } from '../pipeline/notification.js';

export interface QueueStats {
  readonly messages: number;
  readonly consumers: number;
}

export interface ExporterMetricsSources {
  readonly version: string;
  readonly connected: () => boolean;
  /** Read at scrape time; undefined while the broker cannot be asked. */
  readonly queueStats: () => Promise<QueueStats | undefined>;
  readonly trackedInstances: () => number;
  readonly trackedActions: () => number;
}

const PREFIX = 'openstack_notification_exporter_';

/** The exporter's view of itself: broker link, throughput, what it had to drop. */
export class ExporterMetrics {
  readonly reconnects: Counter;
  readonly received: Counter;
  readonly dropped: Counter<'reason'>;
  readonly labelOverflow: Counter<'label'>;
  readonly trackedOverflow: Counter<'kind'>;

  constructor(registry: Registry, sources: ExporterMetricsSources) {
    const registers = [registry];
    new Gauge({
      name: `${PREFIX}build_info`,
      help: 'Version of the exporter and of Node.js it runs on; always 1.',
      labelNames: ['version', 'nodejs'] as const,
      registers,
    }).set({ version: sources.version, nodejs: process.version }, 1);
    new Gauge({
      name: `${PREFIX}amqp_connected`,
      help: '1 while connected to the broker and consuming, else 0.',
      registers,
      collect() {
        this.set(sources.connected() ? 1 : 0);
      },
    });
    this.reconnects = new Counter({
      name: `${PREFIX}amqp_reconnects_total`,
      help: 'Connections to the broker re-established after a loss.',
      registers,
    });
    this.received = new Counter({
      name: `${PREFIX}messages_received_total`,
      help: 'Messages delivered from the queue, decodable or not.',
      registers,
    });
    this.dropped = new Counter({
      name: `${PREFIX}messages_dropped_total`,
      help: 'Messages acknowledged but not counted as notifications, by reason.',
      labelNames: ['reason'] as const,
      registers,
    });
    // Every reason exists from the start, so alerts see 0 → 1 rather than a new series.
    for (const reason of DROP_REASONS) this.dropped.inc({ reason }, 0);
    this.labelOverflow = new Counter({
      name: `${PREFIX}label_values_overflow_total`,
      help: 'Label values replaced by "other" because the label reached its cap.',
      labelNames: ['label'] as const,
      registers,
    });
    this.trackedOverflow = new Counter({
      name: `${PREFIX}tracked_overflow_total`,
      help: 'Instances or pending actions not tracked (or evicted) because their cap was reached.',
      labelNames: ['kind'] as const,
      registers,
    });
    for (const kind of ['instances', 'actions']) this.trackedOverflow.inc({ kind }, 0);
    // Registered before queue_consumers, whose value its collect() sets: the registry reads in order.
    new Gauge({
      name: `${PREFIX}queue_messages`,
      help: "Messages ready in the exporter's queue, read from the broker at scrape time.",
      registers,
      async collect() {
        const stats = await sources.queueStats();
        if (stats) {
          this.set(stats.messages);
          queueConsumers.set(stats.consumers);
        }
      },
    });
    const queueConsumers = new Gauge({
      name: `${PREFIX}queue_consumers`,
      help: "Consumers on the exporter's queue (replicas sharing it), read at scrape time.",
      registers,
    });
    new Gauge({
      name: `${PREFIX}tracked_instances`,
      help: 'Instances held in the inventory behind openstack_instances.',
      registers,
      collect() {
        this.set(sources.trackedInstances());
      },
    });
    new Gauge({
      name: `${PREFIX}tracked_actions`,
      help: 'Started instance actions waiting for their end.',
      registers,
      collect() {
        this.set(sources.trackedActions());
      },
    });
  }

  drop(reason: DropReason): void {
    this.dropped.inc({ reason });
  }
}
