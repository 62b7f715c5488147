import type { ChannelModel } from 'amqplib';
import { exchangeExists } from './topology.js';

// How often a missing exchange is looked for: a service's first notifications before the
// exporter binds reach only oslo's own queue, so this bounds what the exporter misses.
export const EXCHANGE_POLL_MS = 1_000;

export interface ExchangeWatch {
  /** The exchanges not seen yet. */
  readonly awaiting: readonly string[];
  stop(): void;
}

/**
 * Waits for exchanges a service has not declared yet: looks for each passively (a missing
 * one costs a channel, nothing else) every EXCHANGE_POLL_MS, and once one exists binds to it
 * with `bind`, then calls `bound`. Stops by itself when all are bound or `bind` or the probe
 * fails (the connection is going: its owner starts over from a fresh topology check).
 */
export function watchExchanges(
  connection: ChannelModel,
  exchanges: readonly string[],
  bind: (exchange: string) => Promise<void>,
  bound: (exchange: string) => void,
): ExchangeWatch {
  let awaiting = [...exchanges];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    timer = undefined;
    for (const exchange of [...awaiting]) {
      try {
        if (!(await exchangeExists(connection, exchange))) continue;
        if (stopped) return;
        await bind(exchange);
      } catch {
        return;
      }
      if (stopped) return;
      awaiting = awaiting.filter((x) => x !== exchange);
      bound(exchange);
    }
    if (awaiting.length > 0 && !stopped) timer = setTimeout(() => void tick(), EXCHANGE_POLL_MS);
  };
  if (awaiting.length > 0) timer = setTimeout(() => void tick(), EXCHANGE_POLL_MS);
  return {
    get awaiting() {
      return stopped ? [] : awaiting;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
