/**
 * The bench's own corner of the local broker: a vhost of its own (test/support/rabbitmq.ts,
 * shared with the tests), and queues declared exactly as the exporter declares its own
 * (src/amqp/topology.ts), so it can take one over.
 */
import { connect, type ChannelModel } from 'amqplib';
import { assertTopology, withChannel, type TopologySpec } from '../../src/amqp/topology.js';
import { topicsFor } from '../../src/nova/format.js';
import { createVhost, listQueues, type Vhost } from '../../test/support/rabbitmq.js';

/** Nova's control exchange (oslo's default for Nova), which the corpus is published to. */
export const EXCHANGE = 'nova';
export const QUEUE_EXPIRES_SECONDS = 3600;

/** A vhost for one bench run; its removal waits for a broker someone else's test stopped. */
export function createBenchVhost(amqpHost: string): Promise<Vhost> {
  return createVhost({ prefix: 'osne-bench', amqpHost, removeRetryMs: 180_000 });
}

/** Names of the queues in a vhost. */
export async function queueNames(vhost: string): Promise<string[]> {
  return (await listQueues(vhost)).map((q) => String(q['name']));
}

/** The topology the exporter declares for `queue` (Nova's `both` format); every bench queue uses it. */
export function topologyFor(queue: string, maxLength: number): TopologySpec {
  return {
    exchanges: [EXCHANGE],
    topics: topicsFor('both'),
    // The bench plays the publisher too: the exchange is declared as oslo's defaults do.
    missingExchanges: { [EXCHANGE]: { service: 'nova', declare: true, durable: false, autoDelete: false, source: 'the bench' } },
    queue,
    queueType: 'classic',
    singleActiveConsumer: false,
    queueExpiresSeconds: QUEUE_EXPIRES_SECONDS,
    queueMaxLength: maxLength,
  };
}

/** x-max-length large enough that nothing of the backlog is dropped. */
export function queueMaxLength(count: number): number {
  return Math.max(100_000, count + 10_000);
}

export class Broker {
  /** Set once the connection is gone: the broker restarted or was stopped under us. */
  lost = false;

  private constructor(
    readonly connection: ChannelModel,
    private readonly vhost: string,
  ) {
    connection.on('close', () => (this.lost = true));
  }

  static async open(vhost: Vhost): Promise<Broker> {
    const connection = await connect(vhost.url);
    // 'close' follows with the reason; without a listener an 'error' would crash the bench.
    connection.on('error', () => undefined);
    return new Broker(connection, vhost.name);
  }

  /** Connects, retrying while the broker is away (another test run may restart it). */
  static async await(vhost: Vhost, timeoutMs: number): Promise<Broker> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await Broker.open(vhost);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  /** RabbitMQ's version as it announces itself in connection.start. */
  serverVersion(): string {
    const props = (this.connection as unknown as { connection: { serverProperties?: Record<string, unknown> } }).connection
      .serverProperties;
    return String(props?.['version'] ?? 'unknown');
  }

  /** The exporter's own declaration: the exchange as oslo declares it, the queue and its bindings. */
  async declare(spec: TopologySpec): Promise<void> {
    await assertTopology(this.connection, spec, this.vhost);
  }

  depth(queue: string): Promise<{ messages: number; consumers: number }> {
    return withChannel(this.connection, async (ch) => {
      const q = await ch.checkQueue(queue);
      return { messages: q.messageCount, consumers: q.consumerCount };
    });
  }

  async deleteQueue(queue: string): Promise<void> {
    await withChannel(this.connection, (ch) => ch.deleteQueue(queue));
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
