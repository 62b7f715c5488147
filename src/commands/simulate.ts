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
import { publishTraffic, type PublishResult } from '../simulate/publisher.js';
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
      exchangeDurable: amqp.exchangeDurable,
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
  io.stdout.write(summary(result, exchange, redactedUrl(amqp.address), amqp.exchangeDurable));
  return 0;
}

function summary(r: PublishResult, exchange: string, broker: string, durable: boolean): string {
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
  if (r.exchangeDeclared)
    lines.push(`declared the missing exchange ${exchange} as oslo does (topic, ${durable ? 'durable' : 'non-durable'})`);
  return `${lines.join('\n')}\n`;
}
