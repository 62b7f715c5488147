/**
 * Keeps simulated time level with the wall clock when the publisher is paced. Each
 * next() consumes one simulated event; if the simulated cloud produces fewer events per
 * simulated second than the publisher sends per real second, simulated time (and so
 * every timestamp) drifts into the future. Little's law sizes the cloud instead:
 * operations in flight = events per second × operation duration / events per operation,
 * measured as the model runs, plus a push proportional to how far ahead it already is.
 */

/** The model scans operations in flight on every step; past this it gets slow, and a
 * publisher paced that fast is a benchmark, where timestamps running ahead matter little. */
const MAX_CONCURRENCY = 5000;

export interface Pace {
  /** Operations allowed in flight. */
  concurrency: number;
  /** Mean simulated gap between new operations, ms. */
  meanArrivalMs: number;
  /** Instance population that creates and deletes gravitate to. */
  targetInstances: number;
}

export interface Pacer {
  /** Feeds back one finished operation. */
  observe(durationMs: number, events: number): void;
  /** Pace to use now, given how far simulated time is ahead of the clock (ms, >= 0). */
  current(leadMs: number): Pace;
}

/** `eventsPerSecond` undefined: no target rate, the base pace is used as is. */
export function createPacer(base: Pace, eventsPerSecond: number | undefined): Pacer {
  // Starting guesses, close to what the lifecycles produce on average.
  let avgDurationMs = 60_000;
  let avgEvents = 5;
  const alpha = 0.05;
  return {
    observe(durationMs, events) {
      avgDurationMs += alpha * (durationMs - avgDurationMs);
      avgEvents += alpha * (events - avgEvents);
    },
    current(leadMs) {
      if (eventsPerSecond === undefined || eventsPerSecond <= 0) return base;
      const needed = ((eventsPerSecond * avgDurationMs) / 1000 / Math.max(1, avgEvents)) * (1 + leadMs / 30_000);
      const concurrency = Math.min(MAX_CONCURRENCY, Math.max(base.concurrency, Math.ceil(needed)));
      return {
        concurrency,
        meanArrivalMs: Math.min(base.meanArrivalMs, avgDurationMs / concurrency),
        targetInstances: Math.max(base.targetInstances, 2 * concurrency),
      };
    },
  };
}

/**
 * Where the publisher's schedule puts message number `sent`: it sends message n at n / rate
 * seconds after the start. The models take "now" from here, not from the wall clock, so a
 * seed gives the same traffic however the publishing went (a slow broker, a busy machine).
 * Without a rate the publisher runs as fast as it can, and only the start counts.
 */
export function scheduledTime(startMs: number, sent: number, ratePerSecond: number | undefined): number {
  return ratePerSecond === undefined || ratePerSecond <= 0 ? startMs : startMs + (sent * 1000) / ratePerSecond;
}
