/**
 * One replica of an --ha group. Every replica consumes the same quorum queue declared with
 * x-single-active-consumer; the broker delivers to one of them at a time and the others
 * wait. The replica that receives deliveries is the active one: before it counts its first
 * delivery it loads the newest state snapshot; it then counts, publishes a snapshot every
 * few seconds (publisher confirms), and acks a delivery only once a confirmed snapshot
 * covers it. So whenever the active one goes, the broker hands the next one exactly the
 * deliveries the newest snapshot does not cover (and message ids it has seen, for those
 * it covers but whose ack was lost). A replica that loses its channel shows an empty state
 * again: its unacked deliveries are back in the queue for whoever is active next.
 *
 * RabbitMQ 3.10 does not tell an AMQP 0.9.1 consumer that it became the active one, so
 * every replica publishes a small tick into the queue every second: the active replica
 * receives traffic, and so learns its role, even while Nova is silent.
 */
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { DeliveryHandler, OpenDeliveries } from '../amqp/consumer.js';
import { closeQuietly } from '../amqp/close.js';
import type { Logger } from '../log.js';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT, SnapshotError } from './snapshot.js';
import { publishSnapshot, readLatestSnapshot, type StateQueueSpec } from './state-queue.js';
import type { SwappableCounting } from './swappable-counting.js';

export const TICK_TYPE = 'openstack-notification-exporter.tick';

export interface ReplicaOptions {
  readonly counting: SwappableCounting;
  readonly stateQueue: StateQueueSpec;
  readonly snapshotIntervalSeconds: number;
  /** The consumer's prefetch: a snapshot is due once half of it waits for its ack. */
  readonly prefetch: number;
  readonly log: Logger;
  /** Epoch seconds. */
  readonly now: () => number;
  /** Injectable for tests. */
  readonly tickIntervalMs?: number;
}

const TICK_INTERVAL_MS = 1_000;

export class Replica {
  /** Holding the group's state and counting: the broker's single active consumer. */
  active = false;
  takeovers = 0;
  snapshots = 0;
  lastSnapshotBytes = 0;

  constructor(readonly options: ReplicaOptions) {}

  readonly open: OpenDeliveries = async ({ connection, channel }) => {
    const publisher = await connection.createConfirmChannel();
    const session = new ReplicaSession(this, connection, channel, publisher);
    publisher.on('error', (err: unknown) => this.options.log.warn({ err: String(err) }, 'state channel closed by the broker'));
    // Snapshots and ticks go through this channel: without it the session cannot hold its role.
    publisher.on('close', () => session.lost());
    session.start();
    return session;
  };
}

type Phase = 'standby' | 'loading' | 'active' | 'draining' | 'closed';

class ReplicaSession implements DeliveryHandler {
  private phase: Phase = 'standby';
  private readonly buffered: ConsumeMessage[] = [];
  /** The newest counted delivery no confirmed snapshot covers yet, and how many wait with it. */
  private held: ConsumeMessage | undefined;
  private heldCount = 0;
  private heldSince = 0;
  private snapshotting: Promise<void> | undefined;
  private generation = 0;
  private seq = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly queue: string;

  constructor(
    private readonly replica: Replica,
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly publisher: ConfirmChannel,
  ) {
    this.queue = replica.options.stateQueue.queue;
  }

  start(): void {
    const { options } = this.replica;
    const tickMs = options.tickIntervalMs ?? TICK_INTERVAL_MS;
    this.tick();
    this.timers.push(setInterval(() => this.tick(), tickMs));
    const checkMs = Math.min(250, options.snapshotIntervalSeconds * 1000);
    this.timers.push(
      setInterval(() => {
        if (this.phase === 'active' && this.held && Date.now() - this.heldSince >= options.snapshotIntervalSeconds * 1000) {
          void this.snapshot();
        }
      }, checkMs),
    );
    for (const t of this.timers) t.unref();
  }

  private tick(): void {
    if (this.phase === 'closed' || this.phase === 'draining') return;
    try {
      this.publisher.publish('', this.queue, Buffer.alloc(0), { type: TICK_TYPE, persistent: false });
    } catch {
      // The channel is closing; the session ends with it.
    }
  }

  deliver(msg: ConsumeMessage): void {
    if (this.phase === 'closed' || this.phase === 'draining') return; // left unacked: back to the queue
    const isTick = msg.properties.type === TICK_TYPE && msg.fields.exchange === '';
    if (isTick) this.settle(() => this.channel.ack(msg, false));
    if (this.phase === 'standby') {
      this.phase = 'loading';
      void this.takeOver();
    }
    if (isTick) return;
    if (this.phase === 'loading') this.buffered.push(msg);
    else this.count(msg);
  }

  /** Loads the newest snapshot into a fresh state, then counts what waited meanwhile. */
  private async takeOver(): Promise<void> {
    const { counting, log, now } = this.replica.options;
    const started = Date.now();
    let found: Awaited<ReturnType<typeof readLatestSnapshot>>;
    try {
      found = await readLatestSnapshot(this.connection, this.replica.options.stateQueue);
    } catch (err) {
      if (this.phase !== 'loading') return;
      log.error({ err: String(err) }, 'could not read the state snapshot, reconnecting');
      void closeQuietly(this.connection);
      return;
    }
    let restoredFrom: { generation: number; seq: number; ageSeconds: number; bytes: number } | undefined;
    this.generation = (found?.generation ?? 0) + 1;
    if (found) {
      try {
        const snapshot = await decodeSnapshot(found.body);
        if (this.phase !== 'loading') return;
        counting.restoreMetrics(snapshot.metrics);
        counting.state.restore(snapshot.state);
        restoredFrom = {
          generation: snapshot.generation,
          seq: snapshot.seq,
          ageSeconds: now() - snapshot.takenAt,
          bytes: found.body.length,
        };
      } catch (err) {
        if (this.phase !== 'loading') return;
        // Counting from nothing beats not counting: the state fills in again from notifications.
        log.error(
          { reason: err instanceof SnapshotError ? err.message : String(err) },
          'state snapshot unusable, counting from an empty state',
        );
        counting.reset();
      }
    } else {
      counting.reset();
    }
    if (this.phase !== 'loading') return;
    this.phase = 'active';
    this.replica.active = true;
    this.replica.takeovers++;
    log.info(
      { restoredFrom: restoredFrom ?? 'none (no snapshot yet)', loadMs: Date.now() - started, waiting: this.buffered.length },
      'active: took over the counting',
    );
    for (const msg of this.buffered.splice(0)) this.count(msg);
  }

  private count(msg: ConsumeMessage): void {
    this.replica.options.counting.pipeline(msg.content, msg.fields.exchange);
    this.held = msg;
    if (this.heldCount++ === 0) this.heldSince = Date.now();
    if (this.heldCount >= Math.max(1, Math.floor(this.replica.options.prefetch / 2))) void this.snapshot();
  }

  /**
   * Publishes the state as it is now and, once the broker confirms it, acks every delivery
   * it covers. One at a time; what is counted meanwhile waits for the next one.
   */
  private snapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    const through = this.held;
    if (!through) return Promise.resolve();
    this.held = undefined;
    this.heldCount = 0;
    const { counting, stateQueue, log, now } = this.replica.options;
    const order = { generation: this.generation, seq: ++this.seq };
    // The state and the metrics are read before anything awaits I/O: no delivery is
    // counted between `through` and the copy.
    const state = counting.state.dump();
    const metricsRead = counting.dumpMetrics();
    this.snapshotting = (async () => {
      const metrics = await metricsRead;
      const body = await encodeSnapshot({ format: SNAPSHOT_FORMAT, ...order, takenAt: now(), metrics, state });
      await publishSnapshot(this.publisher, stateQueue, body, order);
      this.replica.snapshots++;
      this.replica.lastSnapshotBytes = body.length;
      if (this.phase === 'closed') return; // the channel went: its deliveries are back in the queue
      this.settle(() => this.channel.ack(through, true));
    })()
      .catch((err: unknown) => {
        if (this.phase === 'closed') return;
        // Nothing is acked that this snapshot should cover: start over on a fresh connection.
        log.error({ err: String(err) }, 'publishing the state snapshot failed, reconnecting');
        void closeQuietly(this.connection);
      })
      .finally(() => {
        this.snapshotting = undefined;
        if (this.phase === 'active' && this.heldCount >= Math.max(1, Math.floor(this.replica.options.prefetch / 2))) void this.snapshot();
      });
    return this.snapshotting;
  }

  private settle(ack: () => void): void {
    try {
      ack();
    } catch {
      // The channel is closing: the broker requeues what it had not acked.
    }
  }

  async drain(): Promise<void> {
    const wasActive = this.phase === 'active';
    this.phase = 'draining';
    if (!wasActive) return;
    // A last snapshot, so the next active replica starts from everything counted here.
    while (this.snapshotting) await this.snapshotting;
    if (this.held) await this.snapshot();
  }

  /** The publishing channel went: the session cannot snapshot or tick, so it ends. */
  lost(): void {
    if (this.phase !== 'closed' && this.phase !== 'draining') void closeQuietly(this.connection);
  }

  closed(): void {
    const was = this.phase;
    this.phase = 'closed';
    for (const t of this.timers) clearInterval(t);
    this.buffered.length = 0;
    void closeQuietly(this.publisher);
    if (was === 'active' || was === 'loading' || (was === 'draining' && this.replica.active)) {
      this.replica.active = false;
      this.replica.options.counting.reset();
      this.replica.options.log.info('standing by: the counting state is back on the broker');
    }
  }
}
