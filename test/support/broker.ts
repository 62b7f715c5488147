import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { DEFAULT_TOPICS } from '../../src/nova/format.js';
import { OSLO_PUBLISH_OPTIONS, osloBody, routingKey } from '../../src/oslo/wire.js';
import { TEST_AMQP_HOST } from './target.js';

export const BROKER_URL = `amqp://guest:guest@${TEST_AMQP_HOST}/`;

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The routing key oslo uses for this inner message. */
export function routingKeyFor(inner: Record<string, unknown>, topic = DEFAULT_TOPICS.legacy): string {
  return routingKey(topic, typeof inner['priority'] === 'string' ? inner['priority'] : 'INFO');
}

/** The body oslo's messagingv2 driver sends. */
export const osloEnvelope = osloBody;

/**
 * A test's own corner of the real broker: uniquely named exchanges and queues, all
 * deleted by close().
 */
export class TestBroker {
  private readonly exchanges = new Set<string>();
  private readonly queues = new Set<string>();

  private constructor(
    readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(url = BROKER_URL): Promise<TestBroker> {
    const connection = await amqp.connect(url);
    const channel = await connection.createChannel();
    return new TestBroker(connection, channel);
  }

  /** A topic exchange declared like oslo declares `nova` (non-durable). */
  async exchange(prefix = 'test-nova'): Promise<string> {
    const name = uniqueName(prefix);
    await this.channel.assertExchange(name, 'topic', { durable: false });
    this.exchanges.add(name);
    return name;
  }

  /** Remember a name the code under test creates, so close() removes it. */
  track(kind: 'exchange' | 'queue', name: string): string {
    (kind === 'exchange' ? this.exchanges : this.queues).add(name);
    return name;
  }

  async queue(name: string, bindTo?: { exchange: string; key: string }): Promise<string> {
    // Durable: RabbitMQ 4 denies transient non-exclusive queues (deprecated feature, gone in 4.3).
    await this.channel.assertQueue(name, { durable: true });
    this.queues.add(name);
    if (bindTo) await this.channel.bindQueue(name, bindTo.exchange, bindTo.key);
    return name;
  }

  publish(exchange: string, routingKey: string, body: Buffer): void {
    this.channel.publish(exchange, routingKey, body, OSLO_PUBLISH_OPTIONS);
  }

  /** Publishes an inner message as oslo's messagingv2 driver does. */
  publishOslo(exchange: string, inner: Record<string, unknown>, topic = DEFAULT_TOPICS.legacy): void {
    this.publish(exchange, routingKeyFor(inner, topic), osloEnvelope(inner));
  }

  async messageCount(queue: string): Promise<number> {
    return (await this.checkQueue(queue)).messageCount;
  }

  /** From the broker's own answer to a passive declare: rabbitmqctl's listing of a quorum queue's consumers can lag. */
  async consumerCount(queue: string): Promise<number> {
    return (await this.checkQueue(queue)).consumerCount;
  }

  private async checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
    const ch = await this.connection.createChannel();
    ch.on('error', () => undefined);
    try {
      return await ch.checkQueue(queue);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    for (const q of this.queues) await this.channel.deleteQueue(q).catch(() => undefined);
    for (const x of this.exchanges) await this.channel.deleteExchange(x).catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
