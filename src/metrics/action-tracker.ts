/**
 * Pairs `<action>.start` with its `.end` / `.error` per instance, so durations and
 * "started but never finished" can be measured. Bounded: past `maxTracked` the oldest
 * pending start is evicted (and reported), and a start older than `timeoutSeconds`
 * expires with outcome `timeout`.
 */
export type Outcome = 'success' | 'error' | 'timeout';

export interface PendingAction {
  readonly instanceId: string;
  readonly action: string;
  readonly host: string;
  readonly startedAt: number;
}

export interface FinishedAction extends PendingAction {
  readonly outcome: Outcome;
  readonly durationSeconds: number;
}

export interface ActionTrackerOptions {
  readonly maxTracked: number;
  readonly timeoutSeconds: number;
  readonly onEvicted: (pending: PendingAction) => void;
}

export class ActionTracker {
  // Map keeps insertion order, so its first entries are the oldest starts.
  private readonly pending = new Map<string, PendingAction>();

  constructor(private readonly options: ActionTrackerOptions) {}

  start(instanceId: string, action: string, host: string, at: number): void {
    const key = `${instanceId}\u0000${action}`;
    const existing = this.pending.get(key);
    // A repeated start (an end that never came, or a retry) restarts the clock.
    if (existing) this.pending.delete(key);
    if (this.pending.size >= this.options.maxTracked) {
      const oldest = this.pending.entries().next().value;
      if (oldest) {
        this.pending.delete(oldest[0]);
        this.options.onEvicted(oldest[1]);
      }
    }
    this.pending.set(key, { instanceId, action, host, startedAt: at });
  }

  finish(instanceId: string, action: string, at: number, outcome: 'success' | 'error'): FinishedAction | undefined {
    const key = `${instanceId}\u0000${action}`;
    const started = this.pending.get(key);
    if (!started) return undefined;
    this.pending.delete(key);
    return { ...started, outcome, durationSeconds: Math.max(0, at - started.startedAt) };
  }

  /** Removes and returns starts older than the timeout, as `timeout` outcomes. */
  expire(now: number): FinishedAction[] {
    const expired: FinishedAction[] = [];
    for (const [key, p] of this.pending) {
      if (now - p.startedAt < this.options.timeoutSeconds) continue;
      this.pending.delete(key);
      expired.push({ ...p, outcome: 'timeout', durationSeconds: now - p.startedAt });
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

  get size(): number {
    return this.pending.size;
  }
}
