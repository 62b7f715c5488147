import type { ChannelModel } from 'amqplib';
import { bindTemporaryQueue, withChannel } from '../amqp/topology.js';
import { decodeNotification } from '../pipeline/decode.js';
import type { DecodeResult } from '../pipeline/notification.js';

export interface Arrival {
  readonly exchange: string;
  readonly routingKey: string;
  readonly decoded: DecodeResult;
}

// One message answers the question; the cap only guards the broker while we wait.
const PROBE_MAX_LENGTH = 100;
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Waits for one message on a temporary queue bound like serve's; undefined when none came
 * in time or the wait was interrupted. The queue goes away with its channel.
 */
export async function waitForNotification(
  connection: ChannelModel,
  exchanges: readonly string[],
  topics: readonly string[],
  waitSeconds: number,
  signal: AbortSignal,
): Promise<Arrival | undefined> {
  return withChannel(connection, async (ch) => {
    const queue = await bindTemporaryQueue(ch, exchanges, topics, PROBE_MAX_LENGTH);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      return await new Promise<Arrival | undefined>((resolve, reject) => {
        timer = setTimeout(() => resolve(undefined), waitSeconds * 1000);
        onAbort = () => resolve(undefined);
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) resolve(undefined);
        ch.consume(
          queue,
          (msg) => {
            if (msg === null) return;
            resolve({
              exchange: msg.fields.exchange,
              routingKey: msg.fields.routingKey,
              decoded: decodeNotification(msg.content, { maxMessageBytes: MAX_MESSAGE_BYTES }),
            });
          },
          { noAck: true },
        ).catch(reject);
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  });
}
