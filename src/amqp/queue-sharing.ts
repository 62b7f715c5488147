/**
 * Competing consumers on the exporter's queue. RabbitMQ hands a queue's messages round-robin
 * to its consumers, so a second exporter started on the same queue without --ha takes about
 * half of them, and each counts half the cloud without knowing it. Under --ha the queue has a
 * single active consumer: the other replicas wait and nothing is split.
 */
import type { Logger } from '../log.js';
import type { QueueStats } from './broker-state.js';

/** The same words in the log, on the landing page and from `check`. */
export const SPLIT_WARNING = 'another consumer on this queue: counts are split; use --ha or another --amqp.queue';

/** Consumers taking a share of the queue's messages beyond the first; 0 when the queue has a single active consumer. */
export function competingConsumers(consumers: number, singleActiveConsumer: boolean): number {
  return singleActiveConsumer ? 0 : Math.max(0, consumers - 1);
}

export interface QueueSharingOptions {
  readonly queue: string;
  readonly singleActiveConsumer: boolean;
  /** The queue's consumers, ours included; undefined while the broker cannot be asked. */
  readonly stats: () => Promise<QueueStats | undefined>;
  readonly log: Logger;
  /** Epoch milliseconds; injectable for tests. */
  readonly now?: () => number;
}

// While the split lasts, the warning comes back this often, not at every check.
const REPEAT_WARNING_MS = 10 * 60_000;

/**
 * Asks the broker how many consume the queue (when consuming starts, then on a timer) and
 * says so when others share it: a warning when it starts, again at most every ten minutes
 * while it lasts, and a line when it ends.
 */
export class QueueSharingWatch {
  /** Competing consumers at the last check. */
  private competing = 0;
  private lastWarned = -Infinity;

  constructor(private readonly options: QueueSharingOptions) {}

  async check(): Promise<void> {
    const stats = await this.options.stats();
    if (!stats) return;
    const { queue, log } = this.options;
    const competing = competingConsumers(stats.consumers, this.options.singleActiveConsumer);
    const now = (this.options.now ?? Date.now)();
    if (competing > 0 && (this.competing === 0 || now - this.lastWarned >= REPEAT_WARNING_MS)) {
      this.lastWarned = now;
      log.warn({ queue, consumers: stats.consumers }, SPLIT_WARNING);
    } else if (competing === 0 && this.competing > 0) {
      log.info({ queue, consumers: stats.consumers }, 'no other consumer on this queue any more: counts are whole again');
    }
    this.competing = competing;
  }

  /** For the landing page: the warning while the split lasts. */
  warning(): string | undefined {
    return this.competing > 0 ? `${SPLIT_WARNING} (${this.competing + 1} consumers)` : undefined;
  }
}
