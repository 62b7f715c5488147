/**
 * Publishes the traffic model to RabbitMQ exactly as oslo.messaging's rabbit driver does
 * for Nova: messagingv2 envelope, topic exchange, routing key `<topic>.<priority>`,
 * persistent JSON messages.
 */
import { once } from 'node:events';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { connect, type ChannelModel } from 'amqplib';
import { closeQuietly } from '../amqp/close.js';
import { declareExchange, exchangeExists } from '../amqp/topology.js';
import { OSLO_PUBLISH_OPTIONS, osloEnvelope } from '../oslo/wire.js';
import type { TrafficModel, TrafficStats } from './model.js';

export interface PublishProgress {
  sent: number;
  /** The count limit, when one was given. */
  total: number | undefined;
  /** 0..1 towards the count or duration limit (whichever is closer); undefined when unbounded. */
  fraction: number | undefined;
  elapsedSeconds: number;
  ratePerSecond: number;
  done: boolean;
}

export interface PublishOptions {
  /** amqp(s):// URL; or give `connect`. */
  url?: string;
  /** Opens the connection instead of `url` (the CLI's: host failover, TLS files, connection name). */
  connect?: () => Promise<ChannelModel>;
  /** Nova's control exchange. Default `nova`. */
  exchange?: string;
  /** How to declare a missing exchange, as the service would (oslo's amqp_durable_queues). Default oslo's: transient. */
  declaration?: (exchange: string) => ExchangeFlags;
  model: TrafficModel;
  /** Stop after this many messages. */
  count?: number;
  /** Stop after this many seconds. Without count or duration, runs until `signal` aborts. */
  durationSeconds?: number;
  /** Pace to this many messages per second; omitted = as fast as the broker takes them. */
  ratePerSecond?: number;
  /** Called about every 250 ms, and once more at the end with done = true. */
  onProgress?: (p: PublishProgress) => void;
  signal?: AbortSignal;
  /** Wait for broker confirms after this many messages (bounds unconfirmed data). Default 1000. */
  confirmEvery?: number;
}

export interface PublishResult {
  sent: number;
  elapsedSeconds: number;
  /** true when the exchange was missing and this run declared it. */
  exchangeDeclared: boolean;
  stats: TrafficStats;
}

export interface ExchangeFlags {
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly source: string;
}

/** oslo's defaults: amqp_durable_queues and amqp_auto_delete false. */
export const OSLO_DEFAULT_EXCHANGE_FLAGS: ExchangeFlags = { durable: false, autoDelete: false, source: "oslo's defaults" };

/**
 * Declares the exchange the way the publishing service does, but only if it is missing: an
 * existing one is the service's. Returns whether it had to be declared.
 */
export async function ensureExchange(conn: ChannelModel, exchange: string, how = OSLO_DEFAULT_EXCHANGE_FLAGS): Promise<boolean> {
  if (await exchangeExists(conn, exchange)) return false;
  await declareExchange(conn, exchange, how);
  return true;
}

export async function publishTraffic(opts: PublishOptions): Promise<PublishResult> {
  const exchange = opts.exchange ?? 'nova';
  const confirmEvery = Math.max(1, opts.confirmEvery ?? 1000);
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  const rate = opts.ratePerSecond !== undefined && opts.ratePerSecond > 0 ? opts.ratePerSecond : undefined;

  if (opts.connect === undefined && opts.url === undefined) throw new TypeError('publishTraffic needs url or connect');
  const conn = opts.connect ? await opts.connect() : await connect(opts.url as string);
  // Any broker-side failure lands here, so that waits below never hang on a dead channel.
  let closing = false;
  let rejectFailed: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => {});
  const fail = (err: Error): void => {
    if (!closing) rejectFailed(err);
  };
  conn.on('error', fail);
  conn.on('close', () => fail(new Error('connection to the broker closed')));

  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const deadline = opts.durationSeconds !== undefined ? opts.durationSeconds : Number.POSITIVE_INFINITY;
  let sent = 0;
  const progress = (done: boolean): PublishProgress => {
    const e = elapsed();
    const parts = [sent / limit, e / deadline].filter((f) => Number.isFinite(f) && f > 0);
    const fraction = Number.isFinite(limit) || Number.isFinite(deadline) ? Math.min(1, Math.max(0, ...parts)) : undefined;
    return { sent, total: opts.count, fraction, elapsedSeconds: e, ratePerSecond: e > 0 ? sent / e : 0, done };
  };
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.(progress(false)), 250) : undefined;
  timer?.unref();

  try {
    const how = opts.declaration ?? (() => OSLO_DEFAULT_EXCHANGE_FLAGS);
    const exchangeDeclared = await ensureExchange(conn, exchange, how(exchange));
    const ensured = new Set([exchange]);
    const ch = await conn.createConfirmChannel();
    ch.on('error', fail);
    ch.on('close', () => fail(new Error('channel closed by the broker')));
    const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);

    while (sent < limit && elapsed() < deadline && !opts.signal?.aborted) {
      if (rate !== undefined) {
        // Message n is due at n / rate seconds: pacing on the schedule, not on gaps,
        // keeps the average exact even though timers fire late.
        const wait = (sent / rate - elapsed()) * 1000;
        if (wait > 1) {
          const capped = Math.min(wait, (deadline - elapsed()) * 1000);
          await guard(sleep(Math.max(0, capped), undefined, { signal: opts.signal }).catch(() => {}));
          continue; // re-check the stop conditions after sleeping
        }
      }
      const { routingKey, message, exchange: own } = opts.model.next();
      // Other services publish to their own exchanges, declared as oslo does on first use.
      if (own !== undefined && !ensured.has(own)) {
        await guard(ensureExchange(conn, own, how(own)));
        ensured.add(own);
      }
      const body = Buffer.from(JSON.stringify(osloEnvelope(message)), 'utf8');
      const ok = ch.publish(own ?? exchange, routingKey, body, OSLO_PUBLISH_OPTIONS);
      sent++;
      if (sent % confirmEvery === 0) await guard(ch.waitForConfirms());
      else if (!ok) await guard(once(ch, 'drain'));
      else if (sent % 256 === 0) await yieldToLoop(); // let timers and abort signals run
    }
    await guard(ch.waitForConfirms());
    closing = true;
    await closeQuietly(ch);
    return { sent, elapsedSeconds: elapsed(), exchangeDeclared, stats: opts.model.stats() };
  } finally {
    closing = true;
    if (timer) clearInterval(timer);
    opts.onProgress?.(progress(true));
    await closeQuietly(conn);
  }
}
