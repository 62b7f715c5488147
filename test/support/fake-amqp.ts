/**
 * A broker in memory for the consumer's and the --ha replica's unit tests, shaped after
 * amqp-connection-manager's FakeAmqp: connections and channels are EventEmitters with the
 * few amqplib methods the consumer, the topology and the replica use; a test kills a
 * connection, cancels the consumer, marks hosts dead, blocks a connection as a resource
 * alarm does, hands the consumer several deliveries in one tick, and decides what becomes of
 * a publish (landed and confirmed, nacked, never confirmed, refused by closing the channel).
 */
import { EventEmitter } from 'node:events';
import type { ChannelModel, ConsumeMessage, GetMessage, MessageProperties, Options } from 'amqplib';
import type { ConnectHost } from '../../src/amqp/connect.js';
import type { BrokerHost } from '../../src/amqp/url.js';

/** A message as the fake broker keeps it in a queue. */
export interface FakeMessage {
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: Options.Publish;
}

/** What the broker does with a publish on a confirm channel. */
export type ConfirmMode = 'ack' | 'nack' | 'never';

/** A publish the broker took but has not yet put in its queue (nor confirmed): FakeAmqp.land() does. */
interface Landing {
  readonly message: FakeMessage;
  readonly channel: FakeChannel;
  readonly confirm: ((err: unknown) => void) | undefined;
}

/** The properties of a delivery the fake hands to a consumer. */
export interface Delivery {
  readonly body?: string | Buffer;
  readonly type?: string;
  readonly messageId?: string;
  readonly exchange?: string;
}

export class FakeChannel extends EventEmitter {
  consumer: ((msg: ConsumeMessage | null) => void) | undefined;
  readonly acks: { deliveryTag: number; multiple: boolean }[] = [];
  closed = false;
  private nextTag = 0;
  get connectionBlocked(): boolean {
    return this.connection.blocked !== undefined;
  }

  /** basic.get without ack takes a message from this channel's view of the queue; they go back when it closes. */
  private readonly taken = new Map<string, number>();

  constructor(
    private readonly connection: FakeConnection,
    readonly confirm = false,
  ) {
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
    const amqp = this.connection.amqp;
    // A new queue takes the type it names, else the vhost's default; an existing one keeps its own.
    const actual = amqp.typeOfQueue.get(queue) ?? (typeof type === 'string' ? type : amqp.queueType);
    const clash =
      amqp.clashes.get(queue) ??
      amqp.queueClash ??
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
    if (!amqp.typeOfQueue.has(queue)) amqp.typeOfQueue.set(queue, actual);
    if (!amqp.queues.has(queue)) amqp.queues.set(queue, []);
    return { queue, messageCount: amqp.queues.get(queue)?.length ?? 0, consumerCount: 0 };
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

  /**
   * basic.publish. To the default exchange with a `*.state` queue's name as routing key it goes
   * to that queue (x-max-length 2, as the exporter declares it); on a confirm channel the
   * broker confirms as FakeAmqp.confirmMode says, once the connection is not blocked.
   */
  publish(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish = {}, cb?: (err: unknown) => void): boolean {
    if (this.closed) throw new Error('Channel closed');
    const amqp = this.connection.amqp;
    const message = { routingKey, content, properties };
    amqp.published.push({ ...message, exchange, connection: this.connection });
    const refusal = amqp.refusePublish;
    if (refusal && routingKey.endsWith('.state')) {
      // RabbitMQ closes the channel; amqplib fails every unconfirmed publish of it.
      const err = Object.assign(new Error(`Channel closed by server: ${refusal.code} (${refusal.name}) with message "${refusal.text}"`), {
        code: refusal.code,
      });
      setImmediate(() => {
        if (this.closed) return;
        this.closed = true;
        this.emit('error', err);
        cb?.(new Error('channel closed'));
        this.emit('close', err);
      });
      return true;
    }
    // Only the state queue is kept: deliveries to the consumer are the test's to make.
    if (exchange !== '' || !routingKey.endsWith('.state') || !amqp.queues.has(routingKey)) {
      if (this.confirm) setImmediate(() => cb?.(null));
      return true;
    }
    amqp.pendingLanding.push({ message, channel: this, confirm: this.confirm ? cb : undefined });
    if (!amqp.holdLanding) amqp.land();
    return true;
  }

  async get(queue: string): Promise<GetMessage | false> {
    if (this.closed) throw new Error('Channel closed');
    const messages = this.connection.amqp.queues.get(queue) ?? [];
    const i = this.taken.get(queue) ?? 0;
    const m = messages[i];
    if (!m) return false;
    this.taken.set(queue, i + 1);
    return {
      content: m.content,
      fields: { deliveryTag: ++this.nextTag },
      properties: { headers: m.properties.headers ?? {} },
    } as GetMessage;
  }

  /** The broker delivers one message to the consumer. */
  deliver(body: string | Buffer | Delivery = '{}'): void {
    if (!this.consumer) throw new Error('nobody consumes on this channel');
    const d: Delivery = typeof body === 'string' || Buffer.isBuffer(body) ? { body } : body;
    const deliveryTag = ++this.nextTag;
    const properties: Partial<MessageProperties> = {
      ...(d.type ? { type: d.type } : {}),
      ...(d.messageId ? { messageId: d.messageId } : {}),
    };
    this.consumer({
      content: Buffer.isBuffer(d.body) ? d.body : Buffer.from(d.body ?? '{}'),
      fields: { deliveryTag, exchange: d.exchange ?? 'nova' },
      properties,
    } as unknown as ConsumeMessage);
  }

  /** Several deliveries in one go, as amqplib hands on what one socket read brought: nothing runs in between. */
  deliverAll(deliveries: readonly (string | Buffer | Delivery)[]): void {
    for (const d of deliveries) this.deliver(d);
  }

  /** The broker cancels the consumer (its queue was deleted). */
  cancelByBroker(): void {
    this.consumer?.(null);
  }
}

export class FakeConnection extends EventEmitter {
  readonly channels: FakeChannel[] = [];
  closed = false;
  /** Set while the broker blocks the connection (a resource alarm): confirms wait. */
  blocked: string | undefined;

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

  async createConfirmChannel(): Promise<FakeChannel> {
    if (this.closed) throw new Error('Connection closed');
    const channel = new FakeChannel(this, true);
    this.channels.push(channel);
    return channel;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shutDown();
  }

  /** A memory or disk alarm: the broker stops reading from this (publishing) connection. */
  block(reason = 'low on memory'): void {
    this.blocked = reason;
    this.emit('blocked', reason);
  }

  unblock(): void {
    this.blocked = undefined;
    this.emit('unblocked');
    this.amqp.land();
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
  /** The type each queue declared so far was given. */
  readonly typeOfQueue = new Map<string, string>();
  /** Exchanges that do not exist (their service has not declared them yet). */
  readonly missingExchanges = new Set<string>();
  /** When set, the queue exists with other arguments: every declaration gets a 406 with this message. */
  queueClash: string | undefined;
  /** Queues that exist with other arguments, by name: their declaration gets a 406 with this message. */
  readonly clashes = new Map<string, string>();
  /** Messages in each queue declared (publishes to the default exchange land here). */
  readonly queues = new Map<string, FakeMessage[]>();
  /** Every publish, in order. */
  readonly published: (FakeMessage & { exchange: string; connection: FakeConnection })[] = [];
  /** What the broker answers a publish on a confirm channel. */
  confirmMode: ConfirmMode = 'ack';
  /** When set, a publish to a `*.state` queue closes the channel with this error, as RabbitMQ does for a body too large or no write permission. */
  refusePublish: { code: number; name: string; text: string } | undefined;
  /** While true, publishes to a queue wait in pendingLanding until land(): the test decides when (and in which order) they land. */
  holdLanding = false;
  readonly pendingLanding: Landing[] = [];

  /**
   * Puts the waiting publishes into their queues and confirms them, oldest first or those
   * `which` picks; a publish on a blocked connection waits for its unblock.
   */
  land(which?: (l: Landing, i: number) => boolean): void {
    const ready = this.pendingLanding.filter((l, i) => !l.channel.connectionBlocked && (which?.(l, i) ?? true));
    for (const l of ready) {
      this.pendingLanding.splice(this.pendingLanding.indexOf(l), 1);
      const queue = this.queues.get(l.message.routingKey) ?? [];
      if (this.confirmMode !== 'nack') {
        queue.push(l.message);
        if (l.message.routingKey.endsWith('.state')) while (queue.length > 2) queue.shift();
        this.queues.set(l.message.routingKey, queue);
      }
      const confirm = l.confirm;
      if (!confirm || this.confirmMode === 'never') continue;
      setImmediate(() => confirm(this.confirmMode === 'nack' ? new Error('message nacked') : null));
    }
  }

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

  /** The newest connection that has a consumer (an --ha replica publishes on another). */
  get consuming(): FakeConnection {
    const last = [...this.connections].reverse().find((c) => !c.closed && c.channels.some((ch) => ch.consumer !== undefined));
    if (!last) throw new Error('no consuming connection');
    return last;
  }
}
