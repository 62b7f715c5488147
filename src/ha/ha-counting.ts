/**
 * The --ha side of the composition root: a replaceable counting state, the replica that
 * swaps it on takeover and handles the deliveries, and what serve needs from both.
 */
import type { Registry } from 'prom-client';
import type { OpenDeliveries } from '../amqp/consumer.js';
import type { CountingPipeline, ServeConfig } from '../commands/serve.js';
import type { Logger } from '../log.js';
import { Replica } from './replica.js';
import { SwappableCounting } from './swappable-counting.js';

export interface ReplicatedCounting {
  /** Reads whichever state is current: the active one's, or a standby's empty one. */
  readonly counting: CountingPipeline;
  readonly deliveries: OpenDeliveries;
  readonly replica: Replica;
}

export function createReplicatedCounting(
  config: ServeConfig,
  registry: Registry,
  log: Logger,
  now: () => number,
  build: (registry: Registry) => CountingPipeline,
): ReplicatedCounting {
  const swappable = new SwappableCounting(registry, build);
  const replica = new Replica({
    counting: swappable,
    stateQueue: { queue: config.amqp.queue, expiresSeconds: config.amqp.queueExpiresSeconds },
    snapshotIntervalSeconds: config.ha.snapshotIntervalSeconds,
    prefetch: config.amqp.prefetch,
    log,
    now,
  });
  const counting: CountingPipeline = {
    pipeline: (body, exchange) => swappable.pipeline(body, exchange),
    get activity() {
      return swappable.activity;
    },
    expire: (t) => swappable.expire(t),
    get state() {
      return swappable.state;
    },
  };
  return { counting, deliveries: replica.open, replica };
}
