/**
 * Which notification times are believable. A sender's clock decides how long an action
 * took, which state is newest and when an action expires; a time far off the exporter's
 * own clock (a host whose clock is wrong, a crafted notification dated 9999) would pin an
 * instance's state, keep an action in flight or record a duration of millennia. Such a
 * time is counted under a reason and not used: the stream's clock stands in for it.
 */

/** Why a time was not used. A small fixed set: it is a label. */
export const TIME_REJECTIONS = ['future', 'past'] as const;
export type TimeRejection = (typeof TIME_REJECTIONS)[number];

export interface TimeWindow {
  /** How far ahead of the reference a time may be (clock skew). */
  readonly maxAheadSeconds: number;
  /** How far behind it: how long a notification may wait in a queue and still count by its own time. */
  readonly maxAgeSeconds: number;
}

/** undefined when t lies in the window around reference (epoch seconds), else why not. */
export function judgeTime(t: number, reference: number, window: TimeWindow): TimeRejection | undefined {
  if (t > reference + window.maxAheadSeconds) return 'future';
  if (t < reference - window.maxAgeSeconds) return 'past';
  return undefined;
}
