/**
 * The classic mistake behind "nothing arrives": Nova publishes, but to another exchange
 * (oslo's default `openstack` when nova.conf sets no control_exchange). `check` looks for
 * oslo's own queues and the exchanges that feed them, watches those exchanges while it
 * waits, and names the one carrying Nova's traffic. Passive only: it never consumes from
 * oslo's queues (that would take Ceilometer's messages).
 */
import type { ChannelModel } from 'amqplib';
import { errorCode } from '../amqp/errors.js';
import type { ManagementClient } from '../amqp/management.js';
import { exchangeExists, withChannel } from '../amqp/topology.js';
import { isNovaEventType } from '../nova/mapper.js';
import { controlExchangeHint, OTHER_SERVICE_EXCHANGES, osloQueueNames } from '../oslo/control-exchange.js';
import { OSLO_DEFAULT_EXCHANGE } from '../oslo/wire.js';
import type { Flow } from './check-flow.js';

export interface OsloTraffic {
  /** oslo's `<topic>.<priority>` queues present in the vhost. */
  readonly osloQueues: readonly string[];
  /** Exchanges other than the configured ones that feed those queues (known only with the management API). */
  readonly feeding: readonly string[];
  /** Exchanges to watch while waiting: those feeding oslo's queues, and oslo's default when it exists. */
  readonly watch: readonly string[];
  /**
   * Configured exchanges bound to one of oslo's queues, with that queue: oslo binds the queue
   * to the exchange it publishes to, so the service sends there (known only with the management API).
   */
  readonly feedingConfigured: readonly { readonly exchange: string; readonly queue: string }[];
}

export async function findOsloTraffic(
  connection: ChannelModel,
  management: ManagementClient | undefined,
  vhost: string,
  exchanges: readonly string[],
  topics: readonly string[],
): Promise<OsloTraffic> {
  const candidates = osloQueueNames(topics);
  let osloQueues: string[];
  const feeding = new Set<string>();
  const feedingConfigured: { exchange: string; queue: string }[] = [];
  const names = await management?.queueNames(vhost);
  if (names !== undefined) {
    osloQueues = candidates.filter((q) => names.includes(q));
    for (const queue of osloQueues) {
      for (const b of (await management?.queueBindings(vhost, queue)) ?? []) {
        // '' is the default exchange every queue is bound to.
        if (b.source !== '' && !exchanges.includes(b.source)) feeding.add(b.source);
        if (exchanges.includes(b.source)) feedingConfigured.push({ exchange: b.source, queue });
      }
    }
  } else {
    osloQueues = [];
    for (const queue of candidates) if (await queueExists(connection, queue)) osloQueues.push(queue);
  }
  const watch = new Set(feeding);
  if (!exchanges.includes(OSLO_DEFAULT_EXCHANGE) && (await exchangeExists(connection, OSLO_DEFAULT_EXCHANGE)))
    watch.add(OSLO_DEFAULT_EXCHANGE);
  return { osloQueues, feeding: [...feeding], watch: [...watch], feedingConfigured };
}

async function queueExists(connection: ChannelModel, queue: string): Promise<boolean> {
  return withChannel(connection, (ch) => ch.checkQueue(queue)).then(
    () => true,
    (err: unknown) => {
      if (errorCode(err) === 404) return false;
      throw err;
    },
  );
}

/**
 * The exchange Nova most likely publishes to instead of the configured one: where Nova's
 * notifications were seen, else an exchange feeding oslo's queues that is no other
 * service's (oslo's default first), else, before any watching, oslo's default if it
 * exists. undefined when nothing points anywhere.
 */
export function likelyNovaExchange(traffic: OsloTraffic, flow: Flow | undefined): string | undefined {
  const seen = novaSeenElsewhere(flow);
  if (seen) return seen;
  // oslo's queue bound to the configured exchange: Nova publishes there, whatever else feeds the queues.
  if (traffic.feedingConfigured.length > 0) return undefined;
  const unknown = traffic.feeding.filter((x) => !OTHER_SERVICE_EXCHANGES.has(x));
  if (unknown.length > 0) return unknown.includes(OSLO_DEFAULT_EXCHANGE) ? OSLO_DEFAULT_EXCHANGE : unknown[0];
  // Not watched yet (the configured exchange is missing): oslo's default existing is the best lead.
  return flow === undefined && traffic.watch.includes(OSLO_DEFAULT_EXCHANGE) ? OSLO_DEFAULT_EXCHANGE : undefined;
}

/** The exchange where Nova's own notifications were seen while waiting, if any. */
export function novaSeenElsewhere(flow: Flow | undefined): string | undefined {
  return flow?.elsewhere.find((a) => a.decoded.ok && isNovaEventType(a.decoded.notification.eventType))?.exchange;
}

/** The hint for "nothing arrived on `configured`", when the vhost says where the traffic goes; else undefined. */
export function elsewhereHint(
  configured: string,
  traffic: OsloTraffic,
  flow: Flow | undefined,
  withManagement: boolean,
): string | undefined {
  const likely = likelyNovaExchange(traffic, flow);
  if (likely !== undefined) return controlExchangeHint(configured, likely);
  if (traffic.osloQueues.length === 0 || traffic.feedingConfigured.length > 0) return undefined;
  // Without the bindings nothing says where they come from: no blame, only where to look.
  const queues = `oslo's ${traffic.osloQueues.join(', ')} queue${traffic.osloQueues.length === 1 ? '' : 's'}`;
  return (
    `the vhost has ${queues}, so notifications are sent to it` +
    (withManagement ? `, but not through ${configured}` : `; give --management.url to see which exchange feeds them`) +
    `: if not ${configured}, set [DEFAULT] control_exchange = ${configured} in nova.conf (oslo's default is ${OSLO_DEFAULT_EXCHANGE})`
  );
}
