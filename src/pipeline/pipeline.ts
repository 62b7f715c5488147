import type { RateLimitedLog } from '../log.js';
import type { ExporterMetrics } from '../metrics/exporter-metrics.js';
import type { NotificationMetrics } from '../metrics/notification-metrics.js';
import type { RecentIds } from './dedup.js';
import { decodeNotification, type DecodeOptions } from './decode.js';
import type { DropReason } from './notification.js';

export interface PipelineStages {
  readonly decode: DecodeOptions;
  readonly recentIds: RecentIds;
  readonly metrics: NotificationMetrics;
  readonly exporterMetrics: ExporterMetrics;
  readonly badInput: RateLimitedLog;
}

export type Outcome = 'counted' | DropReason;

/**
 * bytes → decode → de-duplicate → count. Every message ends in exactly one outcome and
 * none throws, so the consumer can ack unconditionally: a poison message is counted once
 * and never requeued.
 */
export function createPipeline(stages: PipelineStages): (body: Uint8Array) => Outcome {
  const { decode, recentIds, metrics, exporterMetrics, badInput } = stages;
  const drop = (reason: DropReason, detail: string, fields: Record<string, unknown> = {}): Outcome => {
    exporterMetrics.drop(reason);
    if (reason !== 'duplicate') badInput.warn(reason, { reason, detail, ...fields }, 'message dropped');
    return reason;
  };
  return (body) => {
    exporterMetrics.received.inc();
    const result = decodeNotification(body, decode);
    if (!result.ok) return drop(result.reason, result.detail, { bytes: body.byteLength });
    const n = result.notification;
    if (n.messageId !== undefined && recentIds.seen(n.messageId)) return drop('duplicate', 'message_id seen before');
    try {
      metrics.record(n);
    } catch (err) {
      return drop('processing_error', err instanceof Error ? err.message : String(err), { event_type: n.eventType });
    }
    return 'counted';
  };
}
