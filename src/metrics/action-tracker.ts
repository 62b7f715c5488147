/**
 * Pairs `<action>.start` with its `.end` / `.error` per instance, so durations and
 * "started but never finished" can be measured. Bounded: past `maxTracked` the oldest
 * pending entry is evicted (and reported), and a start older than `timeoutSeconds`
 * expires with outcome `timeout`.
 *
 * Notifications do not always arrive in order (competing consumers, redelivery after a
 * lost link), so an end that comes before its start is held, just as long, and paired
 * when the start shows up.
 */
import { evictOldest, evictionBatch } from './evict.js';

export type Outcome = 'success' | 'error' | 'timeout';

export interface PendingAction {
  readonly instanceId: string;
  readonly action: string;
  readonly host: string;
  readonly startedAt: number;
  /** The request that started it, where the format says (versioned `request_id`). */
  readonly requestId: string | undefined;
}

export interface FinishedAction extends PendingAction {
  readonly outcome: Outcome;
  readonly durationSeconds: number;
}

interface EarlyEnd {
  readonly at: number;
  readonly outcome: 'success' | 'error';
  readonly requestId: string | undefined;
  /** When it was seen, for expiry: ends have no start time to age from. */
  readonly seenAt: number;
}

export interface ActionTrackerOptions {
  readonly maxTracked: number;
  readonly timeoutSeconds: number;
  readonly onEvicted: () => void;
}

const key = (instanceId: string, action: string) => `${instanceId}\u0000${action}`;
// Both sides name a request and they differ: these are two operations, not one.
const sameRequest = (a: string | undefined, b: string | undefined) => a === undefined || b === undefined || a === b;

/** The tracker's tables as plain data, oldest first, for the HA state snapshot. */
export interface TrackerState {
  /** instanceId, action, host, startedAt, requestId. */
  readonly pending: [string, string, string, number, string | null][];
  /** instanceId, action, at, outcome, requestId, seenAt. */
  readonly earlyEnds: [string, string, number, 'success' | 'error', string | null, number][];
}

export class ActionTracker {
  // Maps keep insertion order, so their first entries are the oldest.
  private readonly pending = new Map<string, PendingAction>();
  private readonly earlyEnds = new Map<string, EarlyEnd>();

  constructor(private readonly options: ActionTrackerOptions) {}

  /** Records a start; returns the finished action when its end had already arrived. */
  start(p: PendingAction): FinishedAction | undefined {
    const k = key(p.instanceId, p.action);
    const early = this.earlyEnds.get(k);
    if (early && early.at >= p.startedAt && sameRequest(early.requestId, p.requestId)) {
      this.earlyEnds.delete(k);
      return { ...p, outcome: early.outcome, durationSeconds: early.at - p.startedAt };
    }
    const existing = this.pending.get(k);
    // The same start twice (a re-sent notification without message_id) keeps the first clock;
    // a later start means the earlier one never ended and a new attempt began.
    if (existing && existing.startedAt === p.startedAt) return undefined;
    this.pending.delete(k);
    this.makeRoom();
    this.pending.set(k, p);
    return undefined;
  }

  /** Records an end; returns the finished action, or holds the end until its start arrives. */
  finish(
    instanceId: string,
    action: string,
    at: number,
    outcome: 'success' | 'error',
    requestId: string | undefined,
    seenAt: number,
  ): FinishedAction | undefined {
    const k = key(instanceId, action);
    const started = this.pending.get(k);
    if (started && started.startedAt <= at && sameRequest(started.requestId, requestId)) {
      this.pending.delete(k);
      return { ...started, outcome, durationSeconds: at - started.startedAt };
    }
    this.earlyEnds.delete(k);
    this.makeRoom();
    this.earlyEnds.set(k, { at, outcome, requestId, seenAt });
    return undefined;
  }

  /** Removes and returns starts older than the timeout as `timeout` outcomes; drops stale early ends. */
  expire(now: number): FinishedAction[] {
    const expired: FinishedAction[] = [];
    for (const [k, p] of this.pending) {
      if (now - p.startedAt < this.options.timeoutSeconds) continue;
      this.pending.delete(k);
      expired.push({ ...p, outcome: 'timeout', durationSeconds: now - p.startedAt });
    }
    for (const [k, e] of this.earlyEnds) {
      if (now - e.seenAt >= this.options.timeoutSeconds) this.earlyEnds.delete(k);
    }
    return expired;
  }

  /** Per action: how many are open and how long the oldest has been. */
  inFlight(now: number): Map<string, { count: number; oldestSeconds: number }> {
    const byAction = new Map<string, { count: number; oldestSeconds: number }>();
    for (const p of this.pending.values()) {
      const age = Math.max(0, now - p.startedAt);
      const entry = byAction.get(p.action);
      if (entry) {
        entry.count++;
        entry.oldestSeconds = Math.max(entry.oldestSeconds, age);
      } else {
        byAction.set(p.action, { count: 1, oldestSeconds: age });
      }
    }
    return byAction;
  }

  dump(): TrackerState {
    return {
      pending: [...this.pending.values()].map((p) => [p.instanceId, p.action, p.host, p.startedAt, p.requestId ?? null]),
      earlyEnds: [...this.earlyEnds].map(([k, e]) => {
        const [instanceId, action] = k.split('\u0000') as [string, string];
        return [instanceId, action, e.at, e.outcome, e.requestId ?? null, e.seenAt];
      }),
    };
  }

  /** Replaces the tables with a dump's, keeping its order (oldest first) for eviction. */
  restore(state: TrackerState): void {
    this.pending.clear();
    this.earlyEnds.clear();
    for (const [instanceId, action, host, startedAt, requestId] of state.pending) {
      this.pending.set(key(instanceId, action), { instanceId, action, host, startedAt, requestId: requestId ?? undefined });
    }
    for (const [instanceId, action, at, outcome, requestId, seenAt] of state.earlyEnds) {
      this.earlyEnds.set(key(instanceId, action), { at, outcome, requestId: requestId ?? undefined, seenAt });
    }
  }

  /** Pending starts (what in-flight counts); held early ends are not operations in flight. */
  get size(): number {
    return this.pending.size;
  }

  private makeRoom(): void {
    if (this.pending.size + this.earlyEnds.size < this.options.maxTracked) return;
    // Evict the oldest of whichever table is fuller; those operations are then not measured.
    const table: Map<string, unknown> = this.pending.size >= this.earlyEnds.size ? this.pending : this.earlyEnds;
    for (let n = evictOldest(table, evictionBatch(this.options.maxTracked)).length; n > 0; n--) this.options.onEvicted();
  }
}
