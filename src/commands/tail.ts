/**
 * `tail`: the classic "dump notifications to stdout", decoded, filtered and redacted.
 * It binds a temporary queue of its own (server-named, exclusive, auto-delete) like serve
 * binds its queue, so it takes nobody's messages and leaves nothing behind when it ends.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { closeQuietly } from '../amqp/close.js';
import { ConnectError, connectToBroker } from '../amqp/connect.js';
import { serverMessage } from '../amqp/errors.js';
import { awaitingReason, bindTemporaryQueue, describeDeclaration, ensureExchanges, missingExchangeRule } from '../amqp/topology.js';
import { watchExchanges, type ExchangeWatch } from '../amqp/exchange-watch.js';
import { bindingKeys } from '../oslo/wire.js';
import { hostLabel } from '../amqp/url.js';
import type { ConfigFor } from '../config/config.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { renderMessage } from './tail-format.js';

export interface TailIo {
  readonly stdout: NodeJS.WritableStream;
  readonly log: Logger;
  /** Aborted on Ctrl-C / SIGTERM: tail then closes and resolves 0. */
  readonly signal: AbortSignal;
}

// Small: a terminal reads slowly, and what is prefetched but unprinted is lost on exit anyway.
const PREFETCH = 100;
// A tail that cannot keep up (a slow pipe) drops the oldest at the broker instead of growing it.
const TEMPORARY_QUEUE_MAX_LENGTH = 10_000;

/** Resolves with the exit code: 0 after a stop or --tail.count, 1 when the broker fails it. */
export async function runTail(config: ConfigFor<'tail'>, io: TailIo): Promise<number> {
  const { amqp, tail } = config;
  const { log, stdout, signal } = io;
  if (config.nova.silentReason) log.warn(config.nova.silentReason);
  for (const notice of config.notices) log.warn(notice);
  if (signal.aborted) return 0;
  let connected;
  try {
    connected = await connectToBroker({ ...amqp, connectionName: `openstack-notification-exporter ${VERSION} tail` });
  } catch (err) {
    log.error(err instanceof ConnectError || err instanceof Error ? err.message : String(err));
    return 1;
  }
  const { connection, host } = connected;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    finish(code);
  };
  connection.on('error', () => undefined); // 'close' follows with the reason
  connection.on('close', (err?: unknown) => {
    if (stopping) return;
    log.error({ reason: err ? serverMessage(err) : 'connection closed' }, 'lost the broker');
    stop(1);
  });
  const onAbort = (): void => stop(0);
  signal.addEventListener('abort', onAbort, { once: true });
  // A closed pipe (`| head`) ends tail as a stop does, not with an EPIPE crash.
  const onPipeError = (): void => stop(0);
  stdout.on('error', onPipeError);

  let watch: ExchangeWatch | undefined;
  try {
    const { declared, missing } = await ensureExchanges(connection, amqp.exchanges, amqp);
    for (const exchange of declared) {
      const rule = missingExchangeRule(amqp, exchange);
      if (rule.declare)
        log.info({ exchange }, `declared the missing exchange ${exchange} (topic, ${describeDeclaration(rule)}) as ${rule.source} says`);
    }
    for (const exchange of missing) log.warn({ exchange }, awaitingReason(amqp, exchange));
    const channel = await connection.createChannel();
    channel.on('error', (err: unknown) => {
      log.error({ reason: serverMessage(err) }, 'channel closed by the broker');
      stop(1);
    });
    await channel.prefetch(PREFETCH);
    const present = amqp.exchanges.filter((x) => !missing.includes(x));
    const queue = await bindTemporaryQueue(channel, present, amqp.topics, TEMPORARY_QUEUE_MAX_LENGTH);
    watch = watchExchanges(
      connection,
      missing,
      async (exchange) => {
        for (const key of bindingKeys(amqp.topics)) await channel.bindQueue(queue, exchange, key);
      },
      (exchange) => log.info({ exchange }, `exchange ${exchange} appeared: tailing it too`),
    );
    const settle = acknowledger(channel, stdout);
    let printed = 0;
    await channel.consume(queue, (msg) => {
      if (msg === null) {
        log.error({ queue }, 'the broker cancelled the consumer (queue deleted?)');
        stop(1);
        return;
      }
      if (stopping) return;
      const out = renderMessage(msg.content, { ...tail, maxMessageBytes: amqp.maxMessageBytes });
      if (out.kind === 'undecodable') {
        log.warn(
          { reason: out.reason, detail: out.detail, routingKey: msg.fields.routingKey },
          'skipped a message that is not a notification',
        );
      } else if (out.kind === 'print') {
        settle(msg, stdout.write(`${out.text}\n`));
        printed++;
        if (tail.count > 0 && printed >= tail.count) stop(0);
        return;
      }
      settle(msg, true);
    });
    log.info(
      { broker: hostLabel(host), vhost: amqp.address.vhost, exchanges: amqp.exchanges, bindings: bindingKeys(amqp.topics) },
      'tailing notifications (Ctrl-C to stop)',
    );
  } catch (err) {
    if (!stopping) log.error(err instanceof Error ? serverMessage(err) : String(err));
    stop(1);
  }

  const code = await finished;
  watch?.stop();
  signal.removeEventListener('abort', onAbort);
  // Closing the connection deletes the exclusive queue; unacked messages die with it.
  await closeQuietly(connection);
  stdout.removeListener('error', onPipeError);
  return code;
}

/**
 * Acks a message once its line is written; while stdout is full, acks wait for 'drain',
 * so the prefetch window keeps a slow reader from buffering without bound.
 */
function acknowledger(channel: Channel, stdout: NodeJS.WritableStream): (msg: ConsumeMessage, written: boolean) => void {
  const held: ConsumeMessage[] = [];
  let blocked = false;
  const ack = (msg: ConsumeMessage): void => {
    try {
      channel.ack(msg);
    } catch {
      // The channel is closing: the temporary queue goes with it.
    }
  };
  return (msg, written) => {
    if (!written && !blocked) {
      blocked = true;
      stdout.once('drain', () => {
        blocked = false;
        for (const m of held.splice(0)) ack(m);
      });
    }
    if (blocked) held.push(msg);
    else ack(msg);
  };
}
