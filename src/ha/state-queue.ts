/**
 * The exporter's state queue, `<queue>.state`: a quorum queue (replicated like the
 * notifications' queue) that holds the latest snapshots, published through the default
 * exchange with publisher confirms and read with basic.get by a replica taking over.
 */
import type { Channel, ConfirmChannel, ChannelModel, GetMessage } from 'amqplib';
import { withChannel } from '../amqp/topology.js';
import { newer, orderFromHeaders, type SnapshotOrder } from './snapshot.js';
import { SnapshotFailure } from './snapshot-failure.js';

export interface StateQueueSpec {
  readonly queue: string;
  /** The notifications' queue's x-expires: both go when the exporter has been gone that long. */
  readonly expiresSeconds: number;
}

export const stateQueueName = (queue: string) => `${queue}.state`;

// Two, not one: a snapshot published by a replica that has just died may reach the queue
// after its successor's first one; with room for two, the newer generation is still there.
const KEEP = 2;
export const SNAPSHOT_TYPE = 'openstack-notification-exporter.snapshot';

export function stateQueueArguments(spec: StateQueueSpec): Record<string, unknown> {
  return { 'x-queue-type': 'quorum', 'x-max-length': KEEP, 'x-expires': spec.expiresSeconds * 1000 };
}

/**
 * Declared before every publish, not once: publishing does not count as using a queue, so a
 * replica active for longer than x-expires would otherwise see its state queue expire under it.
 */
export async function declareStateQueue(ch: Channel, spec: StateQueueSpec): Promise<void> {
  await ch.assertQueue(stateQueueName(spec.queue), { durable: true, arguments: stateQueueArguments(spec) });
}

/** Resolves once the broker has the snapshot (replicated to a quorum of nodes). */
export async function publishSnapshot(ch: ConfirmChannel, spec: StateQueueSpec, body: Buffer, order: SnapshotOrder): Promise<void> {
  await declareStateQueue(ch, spec);
  await new Promise<void>((resolve, reject) => {
    ch.publish(
      '',
      stateQueueName(spec.queue),
      body,
      { persistent: true, type: SNAPSHOT_TYPE, contentType: 'application/json', contentEncoding: 'gzip', headers: { ...order } },
      (err: unknown) => {
        if (!err) resolve();
        // amqplib's words for a basic.nack; any other error is the channel closing under the publish.
        else if (err instanceof Error && err.message === 'message nacked') reject(new SnapshotFailure('nack', 'the broker nacked it'));
        else reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

const orderOf = (m: GetMessage) => orderFromHeaders(m.properties.headers as Record<string, unknown> | undefined);

/**
 * The newest snapshot on the state queue, or undefined when there is none yet, with the
 * highest generation of any message read. Every message is taken without ack and goes back
 * when the channel closes: reading leaves the queue as it was.
 */
export async function readLatestSnapshot(
  connection: ChannelModel,
  spec: StateQueueSpec,
): Promise<{ body: Buffer; order: SnapshotOrder; newestGeneration: number } | undefined> {
  return withChannel(connection, async (ch) => {
    await declareStateQueue(ch, spec);
    let best: GetMessage | undefined;
    // A bound on the loop, not on the queue: it holds KEEP, plus any publish racing this read.
    for (let i = 0; i < KEEP * 4; i++) {
      const m = await ch.get(stateQueueName(spec.queue), { noAck: false });
      if (m === false) break;
      if (!best || newer(orderOf(m), orderOf(best))) best = m;
    }
    if (!best) return undefined;
    const order = orderOf(best);
    return { body: best.content, order, newestGeneration: order.generation };
  });
}
