import type { RateLimitedLog } from '../log.js';
import type { RecentIds } from './dedup.js';
import { decodeNotification, type DecodeOptions } from './decode.js';
import type { Facts, FactSink, Mapper } from './facts.js';
import type { DropReason, Notification } from './notification.js';
import type { StreamClock } from './stream-clock.js';
import { judgeTime, type TimeRejection, type TimeWindow } from './time-window.js';

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
  /** Notification times outside it are counted under a reason and not used. */
  readonly timeWindow: TimeWindow;
  readonly onTimeRejected: (reason: TimeRejection) => void;
  /** Moved by every usable notification time; read for facts without one. */
  readonly clock: StreamClock;
}

export type Outcome = 'counted' | DropReason;

/**
 * bytes → decode → de-duplicate → judge the time → map → bound labels → count. Each stage hands values to
 * the next and none reaches back. Every message ends in exactly one outcome and none
 * throws, so the consumer can ack unconditionally: a poison message is counted once and
 * never requeued.
 */
export function createPipeline(stages: PipelineStages): (body: Uint8Array, exchange?: string) => Outcome {
  const { decode, recentIds, map, bound, sinks, now, onReceived, onDrop, badInput, timeWindow, onTimeRejected, clock } = stages;
  /** The notification with its time if that is believable, else without one (the stream's clock stands in). */
  const usableTime = (n: Notification, wall: number): Notification => {
    const t = n.timestampSeconds;
    if (t === undefined) return n;
    const rejected = judgeTime(t, wall, timeWindow);
    if (rejected === undefined) {
      clock.observe(t, wall);
      return n;
    }
    onTimeRejected(rejected);
    badInput.warn(`time_${rejected}`, { reason: rejected, timestamp: t, event_type: n.eventType }, 'notification time not used');
    return { ...n, timestampSeconds: undefined };
  };
  const drop = (reason: DropReason, detail: string, fields: Record<string, unknown> = {}): Outcome => {
    onDrop(reason);
    if (reason !== 'duplicate') badInput.warn(reason, { reason, detail, ...fields }, 'message dropped');
    return reason;
  };
  return (body, exchange = '') => {
    onReceived();
    const result = decodeNotification(body, decode, exchange);
    if (!result.ok) return drop(result.reason, result.detail, { bytes: body.byteLength });
    const decoded = result.notification;
    if (decoded.messageId !== undefined && recentIds.seen(decoded.messageId)) return drop('duplicate', 'message_id seen before');
    const wall = now();
    const n = usableTime(decoded, wall);
    try {
      const facts = bound(map(n, wall, clock.now(wall)));
      for (const sink of sinks) sink.record(facts);
    } catch (err) {
      return drop('processing_error', err instanceof Error ? err.message : String(err), { event_type: n.eventType });
    }
    return 'counted';
  };
}
