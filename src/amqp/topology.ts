import type { Channel, ChannelModel } from 'amqplib';
import { closeQuietly } from './close.js';
import { bindingKeys } from '../oslo/wire.js';
import { errorCode, serverMessage } from './errors.js';
import { shellWord } from './shell-word.js';

export interface TopologySpec {
  readonly exchanges: readonly string[];
  readonly topics: readonly string[];
  readonly exchangeDurable: boolean;
  readonly queue: string;
  readonly queueType: 'classic' | 'quorum';
  /** --ha: the broker delivers to one consumer at a time, the others wait (x-single-active-consumer). */
  readonly singleActiveConsumer: boolean;
  readonly queueExpiresSeconds: number;
  readonly queueMaxLength: number;
}

/** A topology the broker refused, in words naming the setting that decides it. */
export class TopologyError extends Error {}

// Which flag sets each queue argument, for the "inequivalent arg" message.
export const ARG_FLAGS: Readonly<Record<string, string>> = {
  'x-expires': '--amqp.queue-expires-seconds',
  'x-max-length': '--amqp.queue-max-length',
  'x-queue-type': '--amqp.queue-type',
  'x-single-active-consumer': '--ha',
  durable: '--amqp.queue-type',
};

export function queueArguments(spec: TopologySpec): Record<string, unknown> {
  return {
    'x-expires': spec.queueExpiresSeconds * 1000,
    'x-max-length': spec.queueMaxLength,
    // Only quorum is named: brokers before 3.10 may reject an explicit classic as inequivalent.
    ...(spec.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {}),
    // Named only when on: RabbitMQ holds an absent argument inequivalent to an explicit false,
    // so queues declared before --ha existed still match. A replica without --ha on an --ha
    // queue, or the reverse, is refused at start by name instead of silently competing.
    ...(spec.singleActiveConsumer ? { 'x-single-active-consumer': true } : {}),
  };
}

/**
 * Exchanges, the exporter's own queue, and its bindings. Each exchange is checked passively
 * first and declared only when missing, the way oslo declares it: declaring an existing
 * one with other flags would close the channel (406) and is not ours to change.
 */
export async function assertTopology(connection: ChannelModel, spec: TopologySpec, vhost: string): Promise<void> {
  await ensureExchanges(connection, spec.exchanges, spec.exchangeDurable);
  await declareQueue(connection, spec, vhost);
}

/** Passive check: a missing exchange is a 404 that closes only the probe's own channel. */
export async function exchangeExists(connection: ChannelModel, exchange: string): Promise<boolean> {
  return withChannel(connection, (ch) => ch.checkExchange(exchange)).then(
    () => true,
    (err: unknown) => {
      if (errorCode(err) === 404) return false;
      throw err;
    },
  );
}

/** Declares the exchange as oslo does (topic, not auto-deleted, durable as amqp_durable_queues). */
export async function declareExchange(connection: ChannelModel, exchange: string, durable: boolean): Promise<void> {
  await withChannel(connection, (ch) => ch.assertExchange(exchange, 'topic', { durable, autoDelete: false })).catch((err: unknown) => {
    throw errorCode(err) === 406
      ? new TopologyError(
          `exchange "${exchange}" was declared by someone else with other settings (${serverMessage(err)}): set --amqp.exchange-durable to match Nova's amqp_durable_queues`,
        )
      : err;
  });
}

/** Declares only the missing exchanges; returns their names. */
export async function ensureExchanges(connection: ChannelModel, exchanges: readonly string[], durable: boolean): Promise<string[]> {
  const declared: string[] = [];
  for (const exchange of exchanges) {
    if (await exchangeExists(connection, exchange)) continue;
    await declareExchange(connection, exchange, durable);
    declared.push(exchange);
  }
  return declared;
}

/** The exporter's own queue with its arguments, bound with `<topic>.*` to every exchange. */
export async function declareQueue(connection: ChannelModel, spec: TopologySpec, vhost: string): Promise<void> {
  await withChannel(connection, async (ch) => {
    // Durable, so the queue and its messages outlive a broker restart; x-expires removes it
    // when the exporter is gone for good, x-max-length bounds it while the exporter is away.
    await ch.assertQueue(spec.queue, { durable: true, arguments: queueArguments(spec) });
    for (const exchange of spec.exchanges) {
      for (const key of bindingKeys(spec.topics)) await ch.bindQueue(spec.queue, exchange, key);
    }
  }).catch((err: unknown) => {
    if (errorCode(err) !== 406) throw err;
    const message = serverMessage(err);
    const arg = /inequivalent arg '([^']+)'/.exec(message)?.[1];
    const flag = arg ? ARG_FLAGS[arg] : undefined;
    throw new TopologyError(
      `queue "${spec.queue}" already exists with other settings (${message}): ` +
        `${flag ? `set ${flag} to match it, ` : ''}delete it (rabbitmqctl delete_queue${vhost === '/' ? '' : ` -p ${shellWord(vhost)}`} ${shellWord(spec.queue)}) or choose another --amqp.queue`,
    );
  });
}

/**
 * A server-named queue that lives as long as this channel's connection (exclusive,
 * auto-delete, not durable), bound like the exporter's own, for `tail` and `check` to
 * watch the traffic without leaving anything behind or taking anyone's messages.
 */
export async function bindTemporaryQueue(
  ch: Channel,
  exchanges: readonly string[],
  topics: readonly string[],
  maxLength: number,
): Promise<string> {
  const { queue } = await ch.assertQueue('', {
    exclusive: true,
    autoDelete: true,
    durable: false,
    arguments: { 'x-max-length': maxLength },
  });
  for (const exchange of exchanges) {
    for (const key of bindingKeys(topics)) await ch.bindQueue(queue, exchange, key);
  }
  return queue;
}

/**
 * Runs `work` on a fresh channel and closes it. A server-side refusal closes the channel,
 * so each step that may be refused gets its own and the connection stays usable.
 */
export async function withChannel<T>(connection: ChannelModel, work: (ch: Channel) => Promise<T>): Promise<T> {
  const ch = await connection.createChannel();
  let closedByServer = false;
  // Without a listener a server close would be an unhandled 'error' event.
  ch.on('error', () => {
    closedByServer = true;
  });
  try {
    return await work(ch);
  } finally {
    if (!closedByServer) await closeQuietly(ch);
  }
}
