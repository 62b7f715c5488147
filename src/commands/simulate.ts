/**
 * `simulate`: publishes the traffic model's Nova notifications to the first
 * --amqp.exchange as oslo would, then prints what it sent. The progress bar goes to
 * stderr and only on a terminal; the summary goes to stdout.
 */
import { connectToBroker } from '../amqp/connect.js';
import { serverMessage } from '../amqp/errors.js';
import { redactedUrl } from '../amqp/url.js';
import type { ConfigFor } from '../config/config.js';
import type { Logger } from '../log.js';
import { createCloudTrafficModel } from '../simulate/cloud.js';
import { createProgressBar, type ProgressStream } from '../simulate/progress.js';
import { OSLO_DEFAULT_EXCHANGE_FLAGS, publishTraffic, type ExchangeFlags, type PublishResult } from '../simulate/publisher.js';
import { describeDeclaration, missingExchangeRule } from '../amqp/topology.js';
import { VERSION } from '../version.js';

export interface SimulateIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: ProgressStream;
  readonly log: Logger;
  /** Aborted on Ctrl-C / SIGTERM: publishing stops, what was sent is confirmed and summarised. */
  readonly signal: AbortSignal;
}

export async function runSimulate(config: ConfigFor<'simulate'>, io: SimulateIo): Promise<number> {
  const { amqp, simulate: s } = config;
  if (config.nova.silentReason) io.log.warn(config.nova.silentReason);
  for (const notice of config.notices) io.log.warn(notice);
  // simulate plays the services: it declares what they would, oslo's defaults unless told otherwise.
  const declaration = (x: string): ExchangeFlags => {
    const rule = missingExchangeRule(amqp, x);
    return rule.declare ? rule : OSLO_DEFAULT_EXCHANGE_FLAGS;
  };
  const exchange = amqp.exchanges[0] as string; // the flag requires at least one
  const rate = s.rate > 0 ? s.rate : undefined;
  const model = createCloudTrafficModel({
    services: s.services,
    seed: s.seed,
    hosts: s.hosts,
    format: config.nova.notificationFormat,
    errorRatio: s.errorRatio,
    exists: s.exists,
    ratePerSecond: rate,
  });
  const bar = createProgressBar(io.stderr);
  let result: PublishResult;
  try {
    result = await publishTraffic({
      connect: async () =>
        (await connectToBroker({ ...amqp, connectionName: `openstack-notification-exporter ${VERSION} simulate` })).connection,
      exchange,
      declaration,
      model,
      count: s.count > 0 ? s.count : undefined,
      durationSeconds: s.durationSeconds > 0 ? s.durationSeconds : undefined,
      ratePerSecond: rate,
      onProgress: (p) => (p.done ? bar.finish(p) : bar.update(p)),
      signal: io.signal,
    });
  } catch (err) {
    io.log.error(err instanceof Error ? serverMessage(err) : String(err));
    return 1;
  }
  io.stdout.write(summary(result, exchange, redactedUrl(amqp.address), declaration(exchange)));
  return 0;
}

function summary(r: PublishResult, exchange: string, broker: string, how: ExchangeFlags): string {
  const rate = r.elapsedSeconds > 0 ? Math.round(r.sent / r.elapsedSeconds) : r.sent;
  const table = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const lines = [
    `sent ${r.sent} notifications to exchange ${exchange} on ${broker} in ${r.elapsedSeconds.toFixed(1)} s (${rate}/s)`,
    `by priority: ${table(r.stats.byPriority)}`,
    `by routing key: ${table(r.stats.byRoutingKey)}`,
  ];
  if (r.exchangeDeclared) lines.push(`declared the missing exchange ${exchange} as oslo does (topic, ${describeDeclaration(how)})`);
  return `${lines.join('\n')}\n`;
}
