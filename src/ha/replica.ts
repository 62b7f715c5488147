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
 * every standby publishes a small tick into the queue every second: the active replica
 * receives traffic, and a standby that becomes active learns it, even while Nova is silent.
 *
 * Snapshots and ticks go out on a connection of their own, as RabbitMQ advises for clients
 * that publish and consume: under a resource alarm the broker blocks publishing connections
 * and stops reading from them, and the consuming one must still be read (its acks).
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { DeliveryHandler, OpenDeliveries } from '../amqp/consumer.js';
import { closeQuietly } from '../amqp/close.js';
import { serverMessage } from '../amqp/errors.js';
import type { Logger } from '../log.js';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT, SnapshotError, type SnapshotOrder } from './snapshot.js';
import {
  classifySnapshotError,
  SNAPSHOT_FAILURE_REASONS,
  SnapshotFailure,
  snapshotFailureText,
  type SnapshotFailureReason,
} from './snapshot-failure.js';
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
  /** How long a snapshot waits for the broker's confirm while publishing is not blocked. */
  readonly confirmTimeoutMs?: number;
  /** Tells this replica's snapshots apart from another's of the same generation; random by default. */
  readonly replicaId?: string;
  /** Epoch milliseconds; injectable for tests. */
  readonly clockMs?: () => number;
}

const TICK_INTERVAL_MS = 1_000;
const CONFIRM_TIMEOUT_MS = 30_000;

export class Replica {
  /** Holding the group's state and counting: the broker's single active consumer. */
  active = false;
  takeovers = 0;
  snapshots = 0;
  lastSnapshotBytes = 0;
  readonly snapshotFailures = Object.fromEntries(SNAPSHOT_FAILURE_REASONS.map((r) => [r, 0])) as Record<SnapshotFailureReason, number>;
  readonly id: string;

  constructor(readonly options: ReplicaOptions) {
    this.id = options.replicaId ?? randomUUID();
  }

  readonly open: OpenDeliveries = async ({ connection, channel, connectAgain }) => {
    const publishing = await connectAgain('state');
    let publisher: ConfirmChannel;
    try {
      publisher = await publishing.createConfirmChannel();
    } catch (err) {
      await closeQuietly(publishing);
      throw err;
    }
    const session = new ReplicaSession(this, connection, channel, publishing, publisher);
    publishing.on('error', (err: unknown) => session.noteError(err));
    publishing.on('blocked', (reason: string) => session.block(reason));
    publishing.on('unblocked', () => session.block(undefined));
    publisher.on('error', (err: unknown) => session.noteError(err));
    // Snapshots and ticks go through this channel: without it the session cannot hold its role.
    publisher.on('close', () => session.lost());
    publishing.on('close', () => session.lost());
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
  private order: Omit<SnapshotOrder, 'seq'> = { generation: 0, takenOverAt: 0, replica: '' };
  private seq = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly queue: string;
  /** Why the broker blocks the publishing connection (a resource alarm), while it does. */
  private blocked: string | undefined;
  /** The last error the publishing connection or channel reported: it names why a publish failed. */
  private lastError: unknown;
  private failed: string | undefined;

  constructor(
    private readonly replica: Replica,
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly publishing: ChannelModel,
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

  /**
   * Only a standby ticks: the active one has no role to learn, and fewer ticks sit in the
   * queue. Not while blocked: the broker would not read it, amqplib would only buffer it.
   */
  private tick(): void {
    if (this.phase !== 'standby' || this.blocked !== undefined) return;
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
      // Declaring <q>.state can be refused as every publish would be (arguments, permissions).
      this.fail(classifySnapshotError(err));
      return;
    }
    let restoredFrom: { generation: number; seq: number; ageSeconds: number; bytes: number } | undefined;
    // Above every snapshot this one could have read, and among takeovers from the same one the
    // later outranks the earlier (then the replica id): a late snapshot of a replica that has
    // just died never outranks its successor's.
    this.order = {
      generation: (found?.newestGeneration ?? 0) + 1,
      takenOverAt: Math.max(this.replica.options.clockMs?.() ?? Date.now(), (found?.order.takenOverAt ?? 0) + 1),
      replica: this.replica.id,
    };
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
    const order: SnapshotOrder = { ...this.order, seq: ++this.seq };
    // One synchronous copy of everything the snapshot covers (metrics, state, message ids):
    // no delivery is counted between `through` and the copy.
    const copy = {
      format: SNAPSHOT_FORMAT as typeof SNAPSHOT_FORMAT,
      ...order,
      takenAt: now(),
      metrics: counting.dumpMetrics(),
      state: counting.state.dump(),
    };
    this.snapshotting = (async () => {
      const body = await encodeSnapshot(copy);
      await this.confirmed(publishSnapshot(this.publisher, stateQueue, body, order));
      this.replica.snapshots++;
      this.replica.lastSnapshotBytes = body.length;
      if (this.phase === 'closed') return; // the channel went: its deliveries are back in the queue
      this.settle(() => this.channel.ack(through, true));
    })()
      .catch((err: unknown) => {
        if (this.phase === 'closed') return;
        this.fail(classifySnapshotError(err instanceof SnapshotFailure ? err : (this.lastError ?? err)));
        log.debug({ err: String(err) }, 'snapshot publish error');
      })
      .finally(() => {
        this.snapshotting = undefined;
        if (this.phase === 'active' && this.heldCount >= Math.max(1, Math.floor(this.replica.options.prefetch / 2))) void this.snapshot();
      });
    return this.snapshotting;
  }

  /** The broker's confirm, or a timeout; time spent blocked by a resource alarm does not count. */
  private confirmed(publish: Promise<void>): Promise<void> {
    const ms = this.replica.options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS;
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        timer = setTimeout(() => {
          if (this.blocked !== undefined) arm();
          else reject(new SnapshotFailure('confirm_timeout', `no confirm from the broker within ${ms / 1000} s`));
        }, ms);
        timer.unref();
      };
      arm();
      publish.then(
        () => (clearTimeout(timer), resolve()),
        (err: unknown) => (clearTimeout(timer), reject(err instanceof Error ? err : new Error(String(err)))),
      );
    });
  }

  /**
   * Nothing is acked that the failed snapshot should cover: start over on fresh connections,
   * after the consumer's backoff (failure() tells it this session ended in a failure).
   */
  private fail(failure: SnapshotFailure): void {
    if (this.failed !== undefined) return;
    const { log } = this.replica.options;
    this.replica.snapshotFailures[failure.reason]++;
    this.failed = snapshotFailureText(this.queue, failure);
    log.error({ reason: failure.reason }, this.failed);
    void closeQuietly(this.connection);
  }

  failure(): string | undefined {
    return this.failed;
  }

  noteError(err: unknown): void {
    this.lastError = err;
    this.replica.options.log.warn({ err: serverMessage(err) }, 'state connection or channel closed by the broker');
  }

  block(reason: string | undefined): void {
    this.blocked = reason;
    if (reason === undefined) this.replica.options.log.info('broker unblocked the state connection');
    else this.replica.options.log.warn({ reason }, 'broker blocked the state connection (resource alarm): snapshots and acks wait');
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

  /** The publishing connection or channel went: the session cannot snapshot or tick, so it ends. */
  lost(): void {
    if (this.phase === 'closed' || this.phase === 'draining') return;
    // A publish refused by the broker closes the channel before the publish settles: name it now.
    if (this.snapshotting && this.lastError !== undefined && this.failed === undefined) this.fail(classifySnapshotError(this.lastError));
    void closeQuietly(this.connection);
  }

  closed(): void {
    const was = this.phase;
    this.phase = 'closed';
    for (const t of this.timers) clearInterval(t);
    this.buffered.length = 0;
    void closeQuietly(this.publishing);
    if (was === 'active' || was === 'loading' || (was === 'draining' && this.replica.active)) {
      this.replica.active = false;
      this.replica.options.counting.reset();
      this.replica.options.log.info('standing by: the counting state is back on the broker');
    }
  }
}
