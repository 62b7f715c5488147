import type { RateLimitedLog } from '../log.js';
import type { RecentIds } from './dedup.js';
import { decodeNotification, type DecodeOptions } from './decode.js';
import type { Facts, FactSink, Mapper } from './facts.js';
import type { DropReason } from './notification.js';

export interface PipelineStages {
  readonly decode: DecodeOptions;
  readonly recentIds: RecentIds;
  readonly map: Mapper;
  /** The label stage: every label value bounded once. */
  readonly bound: (facts: Facts) => Facts;
  /** The counting stages, in order: the metrics, the landing page's summary. */
  readonly sinks: readonly FactSink[];
  /** Epoch seconds. */
  readonly now: () => number;
  readonly onReceived: () => void;
  readonly onDrop: (reason: DropReason) => void;
  readonly badInput: RateLimitedLog;
}

export type Outcome = 'counted' | DropReason;

/**
 * bytes → decode → de-duplicate → map → bound labels → count. Each stage hands values to
 * the next and none reaches back. Every message ends in exactly one outcome and none
 * throws, so the consumer can ack unconditionally: a poison message is counted once and
 * never requeued.
 */
export function createPipeline(stages: PipelineStages): (body: Uint8Array, exchange?: string) => Outcome {
  const { decode, recentIds, map, bound, sinks, now, onReceived, onDrop, badInput } = stages;
  const drop = (reason: DropReason, detail: string, fields: Record<string, unknown> = {}): Outcome => {
    onDrop(reason);
    if (reason !== 'duplicate') badInput.warn(reason, { reason, detail, ...fields }, 'message dropped');
    return reason;
  };
  return (body, exchange = '') => {
    onReceived();
    const result = decodeNotification(body, decode, exchange);
    if (!result.ok) return drop(result.reason, result.detail, { bytes: body.byteLength });
    const n = result.notification;
    if (n.messageId !== undefined && recentIds.seen(n.messageId)) return drop('duplicate', 'message_id seen before');
    try {
      const facts = bound(map(n, now()));
      for (const sink of sinks) sink.record(facts);
    } catch (err) {
      return drop('processing_error', err instanceof Error ? err.message : String(err), { event_type: n.eventType });
    }
    return 'counted';
  };
}
