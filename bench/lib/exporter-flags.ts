/**
 * The exporter's flags for the bench, as `serve` would take them on its command line.
 * The queue arguments must match those the bench declared the queue with (broker.ts).
 */
import type { RawFlags } from '../../src/config/config.js';
import { EXCHANGE, QUEUE_EXPIRES_SECONDS } from './broker.js';

export interface ExporterFlagOptions {
  readonly url: string;
  readonly queue: string;
  readonly queueMaxLength: number;
  readonly prefetch: number;
  /** Extra or overriding flags (e.g. raised label caps for the scrape comparison). */
  readonly extra?: RawFlags;
}

export function exporterFlags(o: ExporterFlagOptions): RawFlags {
  return {
    'amqp.url': o.url,
    'amqp.exchange': [EXCHANGE],
    'amqp.queue': o.queue,
    'amqp.queue-max-length': String(o.queueMaxLength),
    'amqp.queue-expires-seconds': String(QUEUE_EXPIRES_SECONDS),
    'amqp.prefetch': String(o.prefetch),
    // The corpus carries both formats, as Nova sends with notification_format = both.
    'nova.notification-format': 'both',
    'web.listen-address': '127.0.0.1:0',
    'log.level': 'info',
    ...o.extra,
  };
}
