/**
 * What the landing page shows live: notification rate, top event types and hosts, and the
 * latest state transitions and errors. Fixed-size rings and capped tallies, so its memory
 * does not grow with traffic. It is fed the same label values the metrics get (after the
 * label stage), so every number and row on the page matches a series in /metrics.
 */
import type { Facts, FactSink } from '../pipeline/facts.js';
import { OVERFLOW_VALUE } from './labels.js';

/** Seconds the rate is averaged over: long enough to smooth bursts, short enough to feel live. */
export const RATE_WINDOW_SECONDS = 10;
export const TOP = 10;
export const RECENT = 20;
/** A tally holds at most this many names; the limiter normally keeps them far fewer. */
const MAX_NAMES = 10_000;

export interface Tally {
  readonly name: string;
  readonly count: number;
}

export interface StateTransitionRow {
  /** Epoch seconds when it arrived: in arrival order and on the page's clock, unlike Nova's own. */
  readonly at: number;
  /** An instance uuid is fine to show here; it never becomes a label. */
  readonly instance: string | undefined;
  readonly host: string;
  readonly from: string;
  readonly to: string;
}

export interface ErrorRow {
  readonly at: number;
  readonly eventType: string;
  readonly host: string;
  /** Class name only: the message text may quote user data and stays out. */
  readonly exception: string;
}

export interface ActivitySummary {
  /** Epoch seconds when the summary was taken. */
  readonly now: number;
  readonly total: number;
  readonly rateWindowSeconds: number;
  readonly ratePerSecond: number;
  readonly eventTypes: readonly Tally[];
  readonly hosts: readonly Tally[];
  readonly transitions: readonly StateTransitionRow[];
  readonly errors: readonly ErrorRow[];
}

/** The summary's sources as plain data: --ha carries them over a takeover so the page goes on where it was. */
export interface ActivityState {
  readonly total: number;
  readonly eventTypes: readonly (readonly [string, number])[];
  readonly hosts: readonly (readonly [string, number])[];
  /** Per-second counts of the rate window and the second each slot holds. */
  readonly perSecond: readonly number[];
  readonly slotSecond: readonly number[];
  /** Oldest first. */
  readonly transitions: readonly StateTransitionRow[];
  readonly errors: readonly ErrorRow[];
}

export interface RecentActivityOptions {
  /** Epoch seconds. */
  readonly now: () => number;
}

/** Keeps the newest `size` items, oldest overwritten first. */
class Ring<T> {
  private readonly items: T[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  push(item: T): void {
    if (this.items.length < this.size) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.size;
  }

  /** Newest first. */
  newestFirst(): T[] {
    return this.oldestFirst().reverse();
  }

  oldestFirst(): T[] {
    return [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

class CappedTally {
  private readonly counts = new Map<string, number>();

  add(name: string): void {
    const key = this.counts.has(name) || this.counts.size < MAX_NAMES ? name : OVERFLOW_VALUE;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  entries(): [string, number][] {
    return [...this.counts];
  }

  restore(entries: readonly (readonly [string, number])[]): void {
    for (const [name, count] of entries.slice(0, MAX_NAMES)) {
      if (typeof name === 'string' && Number.isFinite(count)) this.counts.set(name, count);
    }
  }

  top(n: number): Tally[] {
    return [...this.counts]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, n);
  }
}

export class RecentActivity implements FactSink {
  private total = 0;
  private readonly eventTypes = new CappedTally();
  private readonly hosts = new CappedTally();
  // One slot per second, one more than the window so the current second never overwrites it.
  private readonly perSecond = new Array<number>(RATE_WINDOW_SECONDS + 1).fill(0);
  private readonly slotSecond = new Array<number>(RATE_WINDOW_SECONDS + 1).fill(-1);
  private readonly transitions = new Ring<StateTransitionRow>(RECENT);
  private readonly errors = new Ring<ErrorRow>(RECENT);

  constructor(private readonly options: RecentActivityOptions) {}

  /** Every counted notification, as the metrics see it: its label values already bounded. */
  record({ notification: n, instance: e, receivedAt }: Facts): void {
    this.total++;
    this.eventTypes.add(n.eventType);
    this.hosts.add(n.host);
    const second = Math.floor(receivedAt);
    const slot = second % this.perSecond.length;
    if (this.slotSecond[slot] !== second) {
      this.slotSecond[slot] = second;
      this.perSecond[slot] = 0;
    }
    this.perSecond[slot] = (this.perSecond[slot] ?? 0) + 1;
    if (!e) return;
    if (e.stateTransition) {
      const { from, to } = e.stateTransition;
      this.transitions.push({ at: receivedAt, instance: e.instanceId, host: e.host, from, to });
    }
    if (e.isError) this.errors.push({ at: receivedAt, eventType: n.eventType, host: e.host, exception: e.exception ?? 'unknown' });
  }

  dump(): ActivityState {
    return {
      total: this.total,
      eventTypes: this.eventTypes.entries(),
      hosts: this.hosts.entries(),
      perSecond: [...this.perSecond],
      slotSecond: [...this.slotSecond],
      transitions: this.transitions.oldestFirst(),
      errors: this.errors.oldestFirst(),
    };
  }

  /** Into a fresh one, before it records anything; what does not fit its shape is left out. */
  restore(state: ActivityState): void {
    if (Number.isFinite(state.total)) this.total = state.total;
    this.eventTypes.restore(Array.isArray(state.eventTypes) ? state.eventTypes : []);
    this.hosts.restore(Array.isArray(state.hosts) ? state.hosts : []);
    if (Array.isArray(state.perSecond) && Array.isArray(state.slotSecond) && state.perSecond.length === this.perSecond.length) {
      state.perSecond.forEach((v, i) => (this.perSecond[i] = Number(v) || 0));
      state.slotSecond.forEach((v, i) => (this.slotSecond[i] = Number.isFinite(v) ? v : -1));
    }
    for (const row of Array.isArray(state.transitions) ? state.transitions.slice(-RECENT) : []) this.transitions.push(row);
    for (const row of Array.isArray(state.errors) ? state.errors.slice(-RECENT) : []) this.errors.push(row);
  }

  summary(): ActivitySummary {
    const now = this.options.now();
    // Whole seconds only: the current one is still filling and would drag the rate down.
    const current = Math.floor(now);
    let inWindow = 0;
    this.slotSecond.forEach((second, slot) => {
      if (second >= current - RATE_WINDOW_SECONDS && second < current) inWindow += this.perSecond[slot] ?? 0;
    });
    return {
      now,
      total: this.total,
      rateWindowSeconds: RATE_WINDOW_SECONDS,
      ratePerSecond: inWindow / RATE_WINDOW_SECONDS,
      eventTypes: this.eventTypes.top(TOP),
      hosts: this.hosts.top(TOP),
      transitions: this.transitions.newestFirst(),
      errors: this.errors.newestFirst(),
    };
  }
}
