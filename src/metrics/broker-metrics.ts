import { Counter, Gauge, type Registry } from 'prom-client';
import type { BrokerState, QueueStats } from '../amqp/broker-state.js';
import { competingConsumers } from '../amqp/queue-sharing.js';
import { SELF_PREFIX } from './self-metrics.js';

/**
 * How long a scrape waits for the broker's answer: well below Prometheus's default scrape
 * timeout (10 s), so a stalled broker link shows as stale gauges, not as the target down.
 */
export const BROKER_QUERY_TIMEOUT_MS = 3_000;

const TIMED_OUT = Symbol('timed out');

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
    const timeouts = new Counter({
      name: `${SELF_PREFIX}queue_query_timeouts_total`,
      help: `Scrapes the broker did not tell the queue depth and consumers in time (${BROKER_QUERY_TIMEOUT_MS / 1000} s); those two gauges read NaN then.`,
      registers,
      // Read after this scrape's answer, so a timeout shows in the very scrape it affected.
      async collect() {
        await queueStats();
      },
    });
    // A query the broker has not answered is not asked again at once: on a stalled link the
    // next scrapes wait on the same one (each for at most the timeout), so at most one query
    // per two timeouts piles up until the heartbeat closes the link and fails them all.
    let query: { answer: Promise<QueueStats | undefined>; since: number } | undefined;
    const ask = (): Promise<QueueStats | undefined> => {
      const now = Date.now();
      if (query && now - query.since < 2 * BROKER_QUERY_TIMEOUT_MS) return query.answer;
      const current = {
        answer: broker.queueStats().finally(() => {
          if (query === current) query = undefined;
        }),
        since: now,
      };
      query = current;
      return current.answer;
    };
    // prom-client collects every metric of a scrape concurrently: the collects of one scrape
    // share one answer, and the next scrape asks again.
    let answer: Promise<QueueStats | undefined | typeof TIMED_OUT> | undefined;
    const queueStats = (): Promise<QueueStats | undefined | typeof TIMED_OUT> =>
      (answer ??= within(ask(), BROKER_QUERY_TIMEOUT_MS)
        .then((stats) => {
          if (stats === TIMED_OUT) timeouts.inc();
          return stats;
        })
        .finally(() => {
          answer = undefined;
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
        if (stats === TIMED_OUT) this.set(NaN);
        else if (stats) this.set(stats.messages);
      },
    });
    new Gauge({
      name: `${SELF_PREFIX}queue_consumers`,
      help: "Consumers on the exporter's queue (replicas sharing it), read at scrape time.",
      registers,
      async collect() {
        const stats = await queueStats();
        if (stats === TIMED_OUT) this.set(NaN);
        else if (stats) this.set(stats.consumers);
      },
    });
    new Gauge({
      name: `${SELF_PREFIX}queue_competing_consumers`,
      help: "Consumers beside the first sharing the exporter's queue: counts are split (0 under --ha, where they wait). Read at scrape time.",
      registers,
      async collect() {
        const stats = await queueStats();
        if (stats === TIMED_OUT) this.set(NaN);
        else if (stats) this.set(competingConsumers(stats.consumers, singleActiveConsumer));
      },
    });
  }
}

/** The promise's value, or TIMED_OUT once `ms` have passed. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
