import type { Channel, ChannelModel } from 'amqplib';
import { closeQuietly } from './close.js';
import { bindingKeys } from '../oslo/wire.js';
import { errorCode, serverMessage } from './errors.js';
import { shellWord } from './shell-word.js';

/**
 * What to do about a service's exchange that does not exist yet. The exchange is the
 * service's: declared with other flags than the service's own declaration (oslo's
 * amqp_durable_queues, rabbit_quorum_queue, amqp_auto_delete), the service's declaration
 * fails with 406 and it sends nothing. So the exporter declares one only when it knows how;
 * otherwise it waits for the service to declare it and binds then.
 */
export type MissingExchange = { readonly service: string } & (
  | {
      readonly declare: false;
      /** Whose exchange it is and what to set, for the not-ready reason and check. */
      readonly advice: string;
    }
  | {
      readonly declare: true;
      readonly durable: boolean;
      readonly autoDelete: boolean;
      /** Where the durability comes from: a flag or nova.conf. */
      readonly source: string;
    }
);

export interface TopologySpec {
  readonly exchanges: readonly string[];
  readonly topics: readonly string[];
  /** Per exchange; an exchange absent here is waited for. */
  readonly missingExchanges: Readonly<Record<string, MissingExchange>>;
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

const WAIT: MissingExchange = { service: 'its service', declare: false, advice: 'waiting for its service to declare it' };

/** The spec's rule for one exchange: wait unless told how to declare it. */
export function missingExchangeRule(spec: Pick<TopologySpec, 'missingExchanges'>, exchange: string): MissingExchange {
  return spec.missingExchanges[exchange] ?? WAIT;
}

/**
 * The awaited exchanges that keep the exporter from being ready: those of a service none of
 * whose exchanges is bound yet. Cinder publishes to `cinder` or to oslo's `openstack`
 * depending on its control_exchange, so one of them may never appear, and need not.
 */
export function blockingExchanges(spec: Pick<TopologySpec, 'exchanges' | 'missingExchanges'>, awaiting: readonly string[]): string[] {
  const bound = spec.exchanges.filter((x) => !awaiting.includes(x));
  return awaiting.filter((x) => {
    const { service } = missingExchangeRule(spec, x);
    return !bound.some((y) => missingExchangeRule(spec, y).service === service);
  });
}

/** Why the queue is not bound to an exchange yet, and what the operator can set: one line. */
export function awaitingReason(spec: Pick<TopologySpec, 'missingExchanges'>, exchange: string): string {
  const rule = missingExchangeRule(spec, exchange);
  return `exchange ${exchange} does not exist yet: ${rule.declare ? 'declaring it' : rule.advice}`;
}

/** `durable`, `transient` or `transient, auto-delete`, as a person reads a declaration. */
export function describeDeclaration(d: { readonly durable: boolean; readonly autoDelete: boolean }): string {
  return `${d.durable ? 'durable' : 'transient'}${d.autoDelete ? ', auto-delete' : ''}`;
}

/**
 * Exchanges, the exporter's own queue, and its bindings. Each exchange is checked passively
 * first and declared only when missing and its rule says how (see MissingExchange); declaring
 * an existing one with other flags would close the channel (406) and is not ours to change.
 * Resolves with the exchanges still missing: the queue is not bound to them yet.
 */
export async function assertTopology(connection: ChannelModel, spec: TopologySpec, vhost: string): Promise<string[]> {
  const { missing } = await ensureExchanges(connection, spec.exchanges, spec);
  await declareQueue(connection, spec, vhost, missing);
  return missing;
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

/** Declares the exchange as oslo does: topic, durable and auto-delete as the service's settings say. */
export async function declareExchange(
  connection: ChannelModel,
  exchange: string,
  how: { readonly durable: boolean; readonly autoDelete: boolean; readonly source: string },
): Promise<void> {
  await withChannel(connection, (ch) => ch.assertExchange(exchange, 'topic', { durable: how.durable, autoDelete: how.autoDelete })).catch(
    (err: unknown) => {
      throw errorCode(err) === 406
        ? new TopologyError(
            `exchange "${exchange}" was declared meanwhile with other settings than ${how.source} says (${serverMessage(err)}): ` +
              `the service's own declaration decides; set --amqp.declare-exchange wait`,
          )
        : err;
    },
  );
}

/** Declares the missing exchanges whose rule says how; the others are left to their service. */
export async function ensureExchanges(
  connection: ChannelModel,
  exchanges: readonly string[],
  spec: Pick<TopologySpec, 'missingExchanges'>,
): Promise<{ declared: string[]; missing: string[] }> {
  const declared: string[] = [];
  const missing: string[] = [];
  for (const exchange of exchanges) {
    if (await exchangeExists(connection, exchange)) continue;
    const rule = missingExchangeRule(spec, exchange);
    if (!rule.declare) {
      missing.push(exchange);
      continue;
    }
    await declareExchange(connection, exchange, rule);
    declared.push(exchange);
  }
  return { declared, missing };
}

/** Binds the exporter's queue to one exchange with `<topic>.*` for each topic. */
export async function bindExchange(
  connection: ChannelModel,
  spec: Pick<TopologySpec, 'queue' | 'topics'>,
  exchange: string,
): Promise<void> {
  await withChannel(connection, async (ch) => {
    for (const key of bindingKeys(spec.topics)) await ch.bindQueue(spec.queue, exchange, key);
  });
}

/** The exporter's own queue with its arguments, bound with `<topic>.*` to every exchange but the missing ones. */
export async function declareQueue(
  connection: ChannelModel,
  spec: TopologySpec,
  vhost: string,
  missing: readonly string[] = [],
): Promise<void> {
  await withChannel(connection, async (ch) => {
    // Durable, so the queue and its messages outlive a broker restart; x-expires removes it
    // when the exporter is gone for good, x-max-length bounds it while the exporter is away.
    await ch.assertQueue(spec.queue, { durable: true, arguments: queueArguments(spec) });
    for (const exchange of spec.exchanges) {
      if (missing.includes(exchange)) continue;
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

export type QueueType = 'classic' | 'quorum';

/**
 * The queue's real type. AMQP 0.9.1 does not tell it, and a queue declared without
 * x-queue-type takes the vhost's default queue type (quorum on kolla-style RabbitMQ 4
 * brokers). A redeclaration that names a type is accepted only when it matches the queue's,
 * and a refusal closes only the probe's own channel: at most two such probes tell.
 * undefined when neither matches (a stream, or a broker that refuses an explicit classic).
 */
export async function probeQueueType(connection: ChannelModel, spec: TopologySpec): Promise<QueueType | undefined> {
  if (spec.queueType === 'quorum') return 'quorum';
  for (const type of ['quorum', 'classic'] as const) {
    const matches = await withChannel(connection, (ch) =>
      ch.assertQueue(spec.queue, { durable: true, arguments: { ...queueArguments(spec), 'x-queue-type': type } }),
    ).then(
      () => true,
      (err: unknown) => {
        if (errorCode(err) === 406) return false;
        throw err;
      },
    );
    if (matches) return type;
  }
  return undefined;
}
