import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../log.js';
import type { BrokerState } from './broker-state.js';
import { redactUrlsIn } from '../oslo/secrets.js';
import { closeQuietly } from './close.js';
import { ConnectError, connectToBroker, type ConnectHost, type ConnectOptions } from './connect.js';
import { errorCode, serverMessage } from './errors.js';
import {
  assertTopology,
  bindExchange,
  awaitingReason,
  blockingExchanges,
  probeQueueType,
  TopologyError,
  withChannel,
  type QueueType,
  type TopologySpec,
} from './topology.js';
import { hostLabel } from './url.js';
import { watchExchanges, type ExchangeWatch } from './exchange-watch.js';

export type ConsumerState = 'connecting' | 'consuming' | 'stopped';

/** What readiness and the landing page say about the broker link. */
export interface BrokerStatus {
  readonly state: ConsumerState;
  /** Consuming, and bound to every exchange (none is still awaited from its service). */
  readonly ready: boolean;
  /** Why it is not ready: the last connection problem or the exchanges awaited, redacted, one line. */
  readonly problem: string | undefined;
  /** Exchanges that do not exist yet: the queue is bound to each as soon as its service declares it. */
  readonly awaitingExchanges: readonly string[];
  /** The queue's real type once known (a vhost's default queue type may make it quorum). */
  readonly queueType: QueueType | undefined;
  /** Something wrong while consuming: other consumers splitting the queue's messages. */
  readonly warning?: string;
}

/**
 * Deliveries of one channel, for a caller that settles them itself (--ha holds acks until a
 * state snapshot covers them). Without one, each body goes to onMessage and is acked in batches.
 */
export interface DeliveryHandler {
  deliver(msg: ConsumeMessage): void;
  /** A clean stop is under way, before the consumer is cancelled: settle what can be settled. */
  drain(): Promise<void>;
  /** The channel is gone; what it had not acked is back in the queue. */
  closed(): void;
  /**
   * Why the handler ended the connection itself, when it did because something failed (a
   * snapshot the broker refused): the consumer then backs off as after any failure instead
   * of reconnecting at once, and readiness says why.
   */
  failure?(): string | undefined;
}

export interface DeliveryLink {
  readonly connection: ChannelModel;
  readonly channel: Channel;
  /** Another connection to the same broker, for publishing: `purpose` goes into its name. */
  readonly connectAgain: (purpose: string) => Promise<ChannelModel>;
}

/** Called once per connection, after the topology is declared and before consuming starts. */
export type OpenDeliveries = (link: DeliveryLink) => Promise<DeliveryHandler>;

export interface ConsumerOptions extends ConnectOptions {
  readonly topology: TopologySpec;
  readonly prefetch: number;
  readonly reconnectMaxDelaySeconds: number;
  /** Handles one message body synchronously; must not throw (the pipeline never does). */
  /** The body and the exchange it was published to (mapping rules may match on it). */
  readonly onMessage: (body: Buffer, exchange: string) => void;
  readonly log: Logger;
  /** Injectable for tests: [0, 1). */
  readonly random?: () => number;
  /** Injectable for tests: opens one connection to one host (amqplib's connect by default). */
  readonly connectHost?: ConnectHost;
  /** Replaces onMessage and the batched acks (see DeliveryHandler). */
  readonly deliveries?: OpenDeliveries;
  /**
   * The broker refused the topology (a queue or exchange that exists with other settings)
   * before this consumer ever consumed: a setting is wrong and retrying cannot help, so the
   * consumer stops and its owner ends the process. Once it has consumed, a refusal (the queue
   * changed under a running exporter) is retried like any loss. Without it, always retried.
   */
  readonly onRefusedAtStart?: (err: TopologyError) => void;
  /** Called each time consuming (re)starts: the moment to look at who else consumes the queue. */
  readonly onConsuming?: () => void;
}

const INITIAL_DELAY_SECONDS = 0.5;
// A connection lost sooner than this that acked nothing did not work: the next attempt waits
// longer, as after a failure to connect, so no fault that recurs on every connection (a
// channel error, a consumer cancelled at once) is retried several times a second.
const STABLE_SECONDS = 5;
// Acks wait at most this long for their batch to fill, so a trickle is acked promptly.
const ACK_FLUSH_MS = 50;

/**
 * Owns the connection's whole life: connect (walking the host list), declare topology,
 * consume with a prefetch window and batched acks, and on any loss start over with capped
 * exponential backoff and jitter. Callers only see `state` and the messages.
 */
export class Consumer implements BrokerState {
  private current: { connection: ChannelModel; channel: Channel; tag: string; handler?: DeliveryHandler } | undefined;
  private stopped = false;
  private everConsumed = false;
  private hostIndex = 0;
  private wake: (() => void) | undefined;
  private unacked = 0;
  private lastDelivery: ConsumeMessage | undefined;
  /** Whether this connection acked anything: it worked, however short it lived. */
  private acked = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly ackBatch: number;
  private loop: Promise<void> | undefined;
  state: ConsumerState = 'connecting';
  /** Connections re-established after a loss. */
  reconnects = 0;
  private problem: string | undefined;
  /** Exchanges of the topology that do not exist yet, on the current connection. */
  private watch: ExchangeWatch | undefined;
  private queueType: QueueType | undefined;

  constructor(private readonly options: ConsumerOptions) {
    this.ackBatch = Math.max(1, Math.floor(options.prefetch / 2));
  }

  start(): void {
    this.loop ??= this.run();
  }

  status(): BrokerStatus {
    const consuming = this.state === 'consuming';
    const awaitingExchanges = [...this.awaitingExchanges];
    const waiting = blockingExchanges(this.options.topology, awaitingExchanges).map((x) => awaitingReason(this.options.topology, x));
    return {
      state: this.state,
      ready: consuming && waiting.length === 0,
      problem: consuming ? (waiting.length > 0 ? waiting.join('; ') : undefined) : this.problem,
      awaitingExchanges,
      queueType: this.queueType,
    };
  }

  /** Exchanges awaited from their services on the current connection (none while not consuming). */
  get awaitingExchanges(): readonly string[] {
    return this.state === 'consuming' ? (this.watch?.awaiting ?? []) : [];
  }

  /** Kept until consuming works again; messages are built redacted, this keeps them so and on one line. */
  private noteProblem(text: string): void {
    if (this.stopped) return;
    this.problem = redactUrlsIn(text).replace(/\s+/g, ' ').trim().slice(0, 500);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let permanent = false;
      let refused: TopologyError | undefined;
      const lost = await this.session().catch((err: unknown) => {
        if (this.stopped) return undefined;
        if (err instanceof TopologyError && !this.everConsumed && this.options.onRefusedAtStart) {
          refused = err;
          return undefined;
        }
        failures++;
        // A refused login or vhost needs a person: retry at the slowest pace instead of ramping up.
        permanent = err instanceof ConnectError && err.problem.permanent;
        const message = err instanceof Error ? err.message : String(err);
        this.noteProblem(message);
        this.options.log.error({ attempt: failures, permanent }, message);
        return undefined;
      });
      if (refused) {
        this.noteProblem(refused.message);
        this.stopped = true;
        this.state = 'stopped';
        this.options.onRefusedAtStart?.(refused);
        break;
      }
      if (lost !== undefined && !this.stopped) {
        if (lost.failure === undefined && lost.worked) {
          failures = 0;
          this.options.log.warn({ reason: lost.reason }, 'lost the broker, reconnecting');
        } else if (lost.failure === undefined) {
          failures++;
          this.options.log.warn(
            { reason: lost.reason, attempt: failures },
            'lost the broker soon after connecting, reconnecting after a pause',
          );
        } else {
          // A failure of the handler's own (a refused snapshot) may repeat on every connection: back off.
          failures++;
          this.noteProblem(lost.failure);
        }
      }
      if (this.stopped) break;
      await this.sleep(this.backoffSeconds(permanent ? Number.MAX_SAFE_INTEGER : Math.max(failures, 1)));
    }
  }

  /** One connection's life; resolves with why it ended, rejects if it never started. */
  private async session(): Promise<{ reason: string; failure: string | undefined; worked: boolean }> {
    this.state = 'connecting';
    const { connection, host, index } = await connectToBroker(this.options, this.hostIndex, this.options.connectHost);
    // After a loss, start again from the host that worked last (it is likely back first), then wrap around.
    this.hostIndex = index;
    const ended = new Promise<string>((resolve) => {
      // 'error' (heartbeat timeout, socket error) precedes 'close' and names the cause best.
      let cause: unknown;
      connection.on('error', (err: unknown) => (cause ??= err));
      connection.on('close', (err?: unknown) => {
        const why = cause ?? err;
        resolve(why ? serverMessage(why) : 'connection closed');
      });
    });
    connection.on('blocked', (reason: string) => this.options.log.warn({ reason }, 'broker blocked the connection (resource alarm)'));
    connection.on('unblocked', () => this.options.log.info('broker unblocked the connection'));
    let missing: string[];
    try {
      missing = await assertTopology(connection, this.options.topology, this.options.address.vhost);
      this.queueType = await probeQueueType(connection, this.options.topology);
      await this.consume(connection, index);
    } catch (err) {
      this.current?.handler?.closed();
      await closeQuietly(connection);
      // This host took the connection but not the topology: try the next one first.
      this.hostIndex = index + 1;
      throw err;
    }
    if (this.everConsumed) this.reconnects++;
    this.everConsumed = true;
    this.state = 'consuming';
    this.problem = undefined;
    this.options.log.info(
      { broker: hostLabel(host), vhost: this.options.address.vhost, queue: this.options.topology.queue, queueType: this.queueType },
      'consuming',
    );
    for (const exchange of missing) this.options.log.warn({ exchange }, awaitingReason(this.options.topology, exchange));
    const { topology, log } = this.options;
    this.watch = watchExchanges(
      connection,
      missing,
      (exchange) => bindExchange(connection, topology, exchange),
      (exchange) => log.info({ exchange, queue: topology.queue }, `exchange ${exchange} appeared: bound the queue to it`),
    );
    this.options.onConsuming?.();
    const handler = this.current?.handler;
    const since = Date.now();
    this.acked = false;
    const reason = await ended;
    const worked = this.acked || Date.now() - since >= STABLE_SECONDS * 1000;
    handler?.closed();
    this.noteProblem(`lost the broker ${host.hostname}:${host.port}: ${reason}`);
    this.dropChannel();
    return { reason, failure: handler?.failure?.(), worked };
  }

  private async consume(connection: ChannelModel, hostIndex: number): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', (err: unknown) =>
      this.options.log.warn({ reason: serverMessage(err), code: errorCode(err) }, 'channel closed by the broker'),
    );
    // A channel closed under us (queue deleted, ack error) is recovered the same way as a lost
    // connection: close it so the loop re-declares everything on a fresh one.
    channel.on('close', () => {
      if (!this.stopped && this.current?.channel === channel) void closeQuietly(connection);
    });
    await channel.prefetch(this.options.prefetch);
    // Set before consuming: deliveries can be dispatched before consume() resolves.
    const connectAgain = async (purpose: string) =>
      (
        await connectToBroker(
          { ...this.options, connectionName: `${this.options.connectionName} (${purpose})` },
          hostIndex,
          this.options.connectHost,
        )
      ).connection;
    const handler = this.options.deliveries ? await this.options.deliveries({ connection, channel, connectAgain }) : undefined;
    const current = { connection, channel, tag: '', ...(handler ? { handler } : {}) };
    this.current = current;
    const { consumerTag } = await channel.consume(this.options.topology.queue, (msg) => {
      if (msg === null) {
        // The broker cancelled us: the queue was deleted or is gone with its node.
        this.options.log.warn({ queue: this.options.topology.queue }, 'consumer cancelled by the broker (queue deleted?), re-declaring');
        void closeQuietly(connection);
        return;
      }
      if (handler) {
        handler.deliver(msg);
        return;
      }
      this.options.onMessage(msg.content, msg.fields.exchange);
      this.noteDelivery(channel, msg);
    });
    current.tag = consumerTag;
  }

  private noteDelivery(channel: Channel, msg: ConsumeMessage): void {
    this.unacked++;
    this.lastDelivery = msg;
    if (this.unacked >= this.ackBatch) this.flushAcks(channel);
    else this.flushTimer ??= setTimeout(() => this.flushAcks(channel), ACK_FLUSH_MS);
  }

  /** Acks everything delivered so far with one `multiple` ack. */
  private flushAcks(channel: Channel): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const last = this.lastDelivery;
    if (!last || this.current?.channel !== channel) return;
    this.unacked = 0;
    this.lastDelivery = undefined;
    try {
      channel.ack(last, true);
      this.acked = true;
    } catch {
      // The channel is closing; the broker requeues these and the dedup window catches them.
    }
  }

  private dropChannel(): void {
    this.watch?.stop();
    this.watch = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.unacked = 0;
    this.lastDelivery = undefined;
    this.current = undefined;
    if (this.state === 'consuming') this.state = 'connecting';
  }

  get consuming(): boolean {
    return this.state === 'consuming';
  }

  /** Messages ready and consumers on our queue, asked on a channel of its own. */
  async queueStats(): Promise<{ messages: number; consumers: number } | undefined> {
    const connection = this.current?.connection;
    if (!connection) return undefined;
    try {
      const q = await withChannel(connection, (ch) => ch.checkQueue(this.options.topology.queue));
      return { messages: q.messageCount, consumers: q.consumerCount };
    } catch {
      return undefined;
    }
  }

  /** Stop consuming, ack what was handled, close; unhandled prefetched messages go back to the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    this.problem = 'the exporter is shutting down';
    this.watch?.stop();
    this.wake?.();
    const current = this.current;
    if (current) {
      // Still the active consumer while it settles: a successor starts only after the cancel.
      await current.handler
        ?.drain()
        .catch((err: unknown) => this.options.log.warn({ err: String(err) }, 'settling deliveries at stop failed'));
      await current.channel.cancel(current.tag).catch(() => undefined);
      this.flushAcks(current.channel);
      this.current = undefined;
      await closeQuietly(current.channel);
      await closeQuietly(current.connection);
    }
    await this.loop;
  }

  private backoffSeconds(failures: number): number {
    const capped = Math.min(this.options.reconnectMaxDelaySeconds, INITIAL_DELAY_SECONDS * 2 ** Math.min(failures - 1, 30));
    // Full jitter in the upper half: replicas restarted together do not reconnect in lockstep.
    return capped * (0.5 + 0.5 * (this.options.random ?? Math.random)());
  }

  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, seconds * 1000);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
