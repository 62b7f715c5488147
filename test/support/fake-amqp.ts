/**
 * A broker in memory for the consumer's unit tests, shaped after
 * amqp-connection-manager's FakeAmqp: connections and channels are EventEmitters with the
 * few amqplib methods the consumer and the topology use; a test kills a connection,
 * cancels the consumer or marks hosts dead, and reads what was declared and acked.
 */
import { EventEmitter } from 'node:events';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import type { ConnectHost } from '../../src/amqp/connect.js';
import type { BrokerHost } from '../../src/amqp/url.js';

export class FakeChannel extends EventEmitter {
  consumer: ((msg: ConsumeMessage | null) => void) | undefined;
  readonly acks: { deliveryTag: number; multiple: boolean }[] = [];
  closed = false;
  private nextTag = 0;

  constructor(private readonly connection: FakeConnection) {
    super();
  }

  private op(text: string): void {
    if (this.closed) throw new Error('Channel closed');
    this.connection.amqp.ops.push(text);
  }

  async checkExchange(exchange: string): Promise<object> {
    this.op(`checkExchange ${exchange}`);
    if (this.connection.amqp.missingExchanges.has(exchange)) {
      // RabbitMQ answers a passive declare of a missing exchange with 404, closing the channel.
      const err = Object.assign(
        new Error(`Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange '${exchange}'"`),
        {
          code: 404,
        },
      );
      this.closed = true;
      this.emit('error', err);
      this.emit('close', err);
      throw err;
    }
    return {};
  }
  async assertExchange(exchange: string, type: string): Promise<{ exchange: string }> {
    this.op(`assertExchange ${exchange} ${type}`);
    return { exchange };
  }
  async assertQueue(
    queue: string,
    options?: { arguments?: Record<string, unknown> },
  ): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    const type = options?.arguments?.['x-queue-type'];
    this.op(`assertQueue ${queue}${typeof type === 'string' ? ` ${type}` : ''}`);
    const actual = this.connection.amqp.queueType;
    const clash =
      this.connection.amqp.queueClash ??
      (typeof type === 'string' && type !== actual
        ? `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${queue}' in vhost '/': received '${type}' but current is '${actual}'`
        : undefined);
    if (clash !== undefined) {
      // What RabbitMQ answers a declaration whose arguments differ from the existing queue's.
      const err = Object.assign(new Error(`Channel closed by server: 406 (PRECONDITION-FAILED) with message "${clash}"`), { code: 406 });
      this.closed = true;
      this.emit('error', err);
      this.emit('close', err);
      throw err;
    }
    const refusal = this.connection.amqp.refuseQueueOn.has(this.connection.host.hostname);
    if (refusal) {
      const err = Object.assign(new Error('Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - no access"'), {
        code: 403,
      });
      this.closed = true;
      this.emit('error', err);
      this.emit('close', err);
      throw err;
    }
    return { queue, messageCount: 0, consumerCount: 0 };
  }
  async bindQueue(queue: string, exchange: string, key: string): Promise<object> {
    this.op(`bindQueue ${queue} ${exchange} ${key}`);
    return {};
  }
  async prefetch(count: number): Promise<void> {
    this.op(`prefetch ${count}`);
  }
  async consume(queue: string, onMessage: (msg: ConsumeMessage | null) => void): Promise<{ consumerTag: string }> {
    this.op(`consume ${queue}`);
    this.consumer = onMessage;
    return { consumerTag: 'ctag' };
  }
  async cancel(tag: string): Promise<object> {
    this.op(`cancel ${tag}`);
    return {};
  }
  async checkQueue(queue: string): Promise<{ queue: string; messageCount: number; consumerCount: number }> {
    return { queue, messageCount: 0, consumerCount: 1 };
  }
  ack(message: ConsumeMessage, multiple = false): void {
    if (this.closed) throw new Error('Channel closed');
    this.acks.push({ deliveryTag: message.fields.deliveryTag, multiple });
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  /** The broker delivers one message to the consumer. */
  deliver(body = '{}'): void {
    if (!this.consumer) throw new Error('nobody consumes on this channel');
    const deliveryTag = ++this.nextTag;
    this.consumer({ content: Buffer.from(body), fields: { deliveryTag }, properties: {} } as unknown as ConsumeMessage);
  }

  /** The broker cancels the consumer (its queue was deleted). */
  cancelByBroker(): void {
    this.consumer?.(null);
  }
}

export class FakeConnection extends EventEmitter {
  readonly channels: FakeChannel[] = [];
  closed = false;

  constructor(
    readonly amqp: FakeAmqp,
    readonly host: BrokerHost,
  ) {
    super();
  }

  async createChannel(): Promise<FakeChannel> {
    if (this.closed) throw new Error('Connection closed');
    const channel = new FakeChannel(this);
    this.channels.push(channel);
    return channel;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shutDown();
  }

  /** The link dies: 'error' then 'close', as amqplib reports a heartbeat timeout. */
  kill(reason = 'Heartbeat timeout'): void {
    const err = new Error(reason);
    this.emit('error', err);
    this.shutDown(err);
  }

  /** The channel the consumer consumes on. */
  get consumerChannel(): FakeChannel {
    const channel = this.channels.find((c) => c.consumer !== undefined);
    if (!channel) throw new Error('no consumer on this connection');
    return channel;
  }

  private shutDown(err?: Error): void {
    this.closed = true;
    for (const channel of this.channels) void channel.close();
    this.emit('close', err);
  }
}

export class FakeAmqp {
  /** Host names tried, in order. */
  readonly attempts: string[] = [];
  readonly connections: FakeConnection[] = [];
  /** Topology steps on every connection, in order. */
  readonly ops: string[] = [];
  /** Hosts where nothing listens. */
  readonly dead = new Set<string>();
  /** Hosts that refuse the login. */
  readonly refuseLogin = new Set<string>();
  /** Hosts that accept the connection but refuse to declare the queue. */
  readonly refuseQueueOn = new Set<string>();
  /** The type the broker gave the queue (a vhost's default queue type decides it when none is named). */
  queueType: 'classic' | 'quorum' = 'classic';
  /** Exchanges that do not exist (their service has not declared them yet). */
  readonly missingExchanges = new Set<string>();
  /** When set, the queue exists with other arguments: every declaration gets a 406 with this message. */
  queueClash: string | undefined;

  readonly connectHost: ConnectHost = async (_options, host) => {
    this.attempts.push(host.hostname);
    if (this.dead.has(host.hostname)) {
      throw Object.assign(new Error(`connect ECONNREFUSED ${host.hostname}:${host.port}`), { code: 'ECONNREFUSED' });
    }
    if (this.refuseLogin.has(host.hostname)) {
      throw new Error(
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"',
      );
    }
    const connection = new FakeConnection(this, host);
    this.connections.push(connection);
    return connection as unknown as ChannelModel;
  };

  /** The newest connection. */
  get connection(): FakeConnection {
    const last = this.connections.at(-1);
    if (!last) throw new Error('no connection yet');
    return last;
  }
}
