import { Counter, Gauge, type Registry } from 'prom-client';
import type { BrokerState, QueueStats } from '../amqp/broker-state.js';
import { competingConsumers } from '../amqp/queue-sharing.js';
import { SELF_PREFIX } from './self-metrics.js';

/**
 * The broker link as the exporter sees it, read at scrape time. The queue's depth and
 * consumers come from one query per scrape, shared by both gauges, so both are current.
 */
export class BrokerMetrics {
  /**
   * `singleActiveConsumer`: the queue hands every message to one consumer (--ha), so others only wait.
   * `exchanges`: every exchange the queue is to be bound to, each a series of exchange_bound.
   */
  constructor(registry: Registry, broker: BrokerState, singleActiveConsumer: boolean, exchanges: readonly string[]) {
    const registers = [registry];
    // prom-client collects every metric of a scrape concurrently: the collects of one scrape
    // share the query in flight, and the next scrape asks again.
    let inFlight: Promise<QueueStats | undefined> | undefined;
    const queueStats = (): Promise<QueueStats | undefined> =>
      (inFlight ??= broker.queueStats().finally(() => {
        inFlight = undefined;
      }));
    new Gauge({
      name: `${SELF_PREFIX}amqp_connected`,
      help: '1 while connected to the broker and consuming, else 0.',
      registers,
      collect() {
        this.set(broker.consuming ? 1 : 0);
      },
    });
    new Gauge({
      name: `${SELF_PREFIX}exchange_bound`,
      help: "1 when the exporter's queue is bound to the exchange; 0 while not consuming or while waiting for its service to declare it.",
      labelNames: ['exchange'] as const,
      registers,
      collect() {
        const awaiting = broker.awaitingExchanges;
        for (const exchange of exchanges) this.set({ exchange }, broker.consuming && !awaiting.includes(exchange) ? 1 : 0);
      },
    });
    new Counter({
      name: `${SELF_PREFIX}amqp_reconnects_total`,
      help: 'Connections to the broker re-established after a loss.',
      registers,
      collect() {
        this.reset();
        this.inc(broker.reconnects);
      },
    });
    new Gauge({
      name: `${SELF_PREFIX}queue_messages`,
      help: "Messages ready in the exporter's queue, read from the broker at scrape time.",
      registers,
      async collect() {
        const stats = await queueStats();
        if (stats) this.set(stats.messages);
      },
    });
    new Gauge({
      name: `${SELF_PREFIX}queue_consumers`,
      help: "Consumers on the exporter's queue (replicas sharing it), read at scrape time.",
      registers,
      async collect() {
        const stats = await queueStats();
        if (stats) this.set(stats.consumers);
      },
    });
    new Gauge({
      name: `${SELF_PREFIX}queue_competing_consumers`,
      help: "Consumers beside the first sharing the exporter's queue: counts are split (0 under --ha, where they wait). Read at scrape time.",
      registers,
      async collect() {
        const stats = await queueStats();
        if (stats) this.set(competingConsumers(stats.consumers, singleActiveConsumer));
      },
    });
  }
}
