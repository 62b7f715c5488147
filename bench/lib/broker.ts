/**
 * The bench's own corner of the local broker: a vhost made with rabbitmqctl and deleted
 * afterwards, the `nova` topic exchange declared the way oslo declares it, and queues
 * declared exactly as the exporter declares its own (so it can take one over).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect, type ChannelModel } from 'amqplib';
import { queueArguments, type TopologySpec } from '../../src/amqp/topology.js';
import { bindingKeys } from '../../src/oslo/wire.js';

const run = promisify(execFile);

export const EXCHANGE = 'nova';
export const TOPICS = ['notifications', 'versioned_notifications'] as const;
export const QUEUE_EXPIRES_SECONDS = 3600;

export function rabbitmqctl(...args: string[]): Promise<string> {
  return run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 }).then((r) => r.stdout);
}

export interface BenchVhost {
  readonly name: string;
  /** amqp:// URL into the vhost (local guest account; never printed with its password). */
  readonly url: string;
  remove(): Promise<void>;
}

export async function createVhost(amqpHost: string): Promise<BenchVhost> {
  const name = `osne-bench-${randomBytes(4).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  let removed = false;
  return {
    name,
    url: `amqp://guest:guest@${amqpHost}/${encodeURIComponent(name)}`,
    remove: async () => {
      if (removed) return;
      // The broker app may be stopped for a while by someone else's test: wait for it.
      const deadline = Date.now() + 180_000;
      for (;;) {
        try {
          await rabbitmqctl('delete_vhost', name);
          removed = true;
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 3000));
        }
      }
    },
  };
}

/** Names of the queues in a vhost. */
export async function listQueues(vhost: string): Promise<string[]> {
  const out = await rabbitmqctl('list_queues', '-p', vhost, '--no-table-headers', 'name');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The topology the exporter declares for `queue`; every bench queue uses it. */
export function topologyFor(queue: string, maxLength: number): TopologySpec {
  return {
    exchanges: [EXCHANGE],
    topics: [...TOPICS],
    exchangeDurable: false,
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

  private constructor(readonly connection: ChannelModel) {
    connection.on('close', () => (this.lost = true));
  }

  static async open(url: string): Promise<Broker> {
    const connection = await connect(url);
    // 'close' follows with the reason; without a listener an 'error' would crash the bench.
    connection.on('error', () => undefined);
    return new Broker(connection);
  }

  /** Connects, retrying while the broker is away (another test run may restart it). */
  static async await(url: string, timeoutMs: number, onWait: () => void): Promise<Broker> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await Broker.open(url);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        onWait();
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

  async declare(spec: TopologySpec): Promise<void> {
    const ch = await this.connection.createChannel();
    try {
      // oslo's declaration of Nova's exchange: topic, non-durable.
      await ch.assertExchange(EXCHANGE, 'topic', { durable: false, autoDelete: false });
      await ch.assertQueue(spec.queue, { durable: true, arguments: queueArguments(spec) });
      for (const key of bindingKeys(spec.topics)) await ch.bindQueue(spec.queue, EXCHANGE, key);
    } finally {
      await ch.close();
    }
  }

  async depth(queue: string): Promise<{ messages: number; consumers: number }> {
    const ch = await this.connection.createChannel();
    try {
      const q = await ch.checkQueue(queue);
      return { messages: q.messageCount, consumers: q.consumerCount };
    } finally {
      await ch.close();
    }
  }

  async deleteQueue(queue: string): Promise<void> {
    const ch = await this.connection.createChannel();
    try {
      await ch.deleteQueue(queue);
    } finally {
      await ch.close();
    }
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}
