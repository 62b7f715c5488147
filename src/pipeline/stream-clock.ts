/**
 * The stream's clock: what time it is by the notifications, for expiring actions in
 * flight and for a notification without a usable time of its own.
 *
 * While a backlog drains (the exporter was down for hours) the notifications are hours
 * old, and judging them by the wall clock would expire every action whose end waits
 * further down the queue. So the clock reads the newest notification time seen, plus the
 * wall-clock time since it was seen: while deliveries flow it follows the notifications,
 * and when the feed goes quiet it runs on at the wall clock's pace, so an action that never
 * ends still expires a timeout after its start. On a live feed the two clocks agree.
 *
 * A time ahead of the wall clock does not move it: nothing in a queue was sent in the
 * future, so it is a sender's clock skew, not the stream's position.
 */
export class StreamClock {
  /** The newest notification time seen, and the wall time it was seen at (epoch seconds). */
  private newest = -Infinity;
  private seenAt = -Infinity;

  /** A notification's (sane) time as it is counted at wall time `wall`. */
  observe(t: number | undefined, wall: number): void {
    if (t === undefined || t <= this.newest || t > wall) return;
    this.newest = t;
    this.seenAt = wall;
  }

  /** The stream's time at wall time `wall`: the wall clock until a notification has been seen. */
  now(wall: number): number {
    if (this.newest === -Infinity) return wall;
    return Math.min(wall, this.newest + Math.max(0, wall - this.seenAt));
  }

  /** The newest time seen, for the HA state snapshot (undefined: none yet). */
  dump(): number | undefined {
    return this.newest === -Infinity ? undefined : this.newest;
  }

  /** Restores the newest time seen as if seen at `wall`: the clock runs on from there. */
  restore(newest: number | undefined, wall: number): void {
    this.newest = newest ?? -Infinity;
    this.seenAt = newest === undefined ? -Infinity : wall;
  }
}
