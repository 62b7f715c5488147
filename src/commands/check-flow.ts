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

export interface Flow {
  /** The first message on one of the configured exchanges; undefined when none came in time. */
  readonly arrival: Arrival | undefined;
  /** Messages seen meanwhile on the other exchanges watched (a few at most). */
  readonly elsewhere: readonly Arrival[];
  /** The first message on each configured exchange that had one. */
  readonly firstByExchange: ReadonlyMap<string, Arrival>;
}

// A few are enough to tell whose traffic it is.
const MAX_ELSEWHERE = 10;

/**
 * Waits for one message on a temporary queue bound like serve's, until the wait ends or
 * it is interrupted. `others` are watched the same way, to tell where the traffic goes
 * when none comes to the configured exchanges. The queue goes away with its channel.
 */
export async function waitForNotification(
  connection: ChannelModel,
  exchanges: readonly string[],
  topics: readonly string[],
  waitSeconds: number,
  signal: AbortSignal,
  others: readonly string[] = [],
  /** When the wait may end early: by default at the first message on a configured exchange. */
  enough: (seen: ReadonlyMap<string, Arrival>) => boolean = (seen) => seen.size > 0,
): Promise<Flow> {
  return withChannel(connection, async (ch) => {
    const queue = await bindTemporaryQueue(ch, [...exchanges, ...others], topics, PROBE_MAX_LENGTH);
    const elsewhere: Arrival[] = [];
    const firstByExchange = new Map<string, Arrival>();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(resolve, waitSeconds * 1000);
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
        if (signal.aborted) resolve();
        ch.consume(
          queue,
          (msg) => {
            if (msg === null) return;
            const got = {
              exchange: msg.fields.exchange,
              routingKey: msg.fields.routingKey,
              decoded: decodeNotification(msg.content, { maxMessageBytes: MAX_MESSAGE_BYTES }),
            };
            if (exchanges.includes(got.exchange)) {
              if (!firstByExchange.has(got.exchange)) firstByExchange.set(got.exchange, got);
              if (enough(firstByExchange)) resolve();
            } else if (elsewhere.length < MAX_ELSEWHERE) elsewhere.push(got);
          },
          { noAck: true },
        ).catch(reject);
      });
      const arrival = firstByExchange.values().next().value;
      return { arrival, elsewhere, firstByExchange };
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  });
}
