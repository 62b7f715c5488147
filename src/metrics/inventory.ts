/**
 * Instances per state and host, kept from notifications. Starts empty after a restart
 * and fills in as instances change or as the hourly `exists` audit names each one.
 * Each instance keeps the time of the notification it came from, so one that arrives
 * late (redelivered, or from another replica's backlog) cannot undo a newer state; a
 * deleted instance leaves a bounded trail of tombstones for the same reason.
 */
import { evictOldest, evictionBatch } from './evict.js';

export interface InventoryOptions {
  readonly maxInstances: number;
  readonly onOverflow: () => void;
}

interface Entry {
  state: string;
  host: string;
  at: number;
}

/** The inventory as plain data, oldest first, for the HA state snapshot. */
export interface InventoryState {
  /** instanceId, state, host, at. */
  readonly instances: [string, string, string, number][];
  /** instanceId, deleted at. */
  readonly deleted: [string, number][];
}

export class Inventory {
  private readonly instances = new Map<string, Entry>();
  private readonly deletedAt = new Map<string, number>();

  constructor(private readonly options: InventoryOptions) {}

  observe(instanceId: string, state: string, host: string, at: number): void {
    const entry = this.instances.get(instanceId);
    if (entry && at < entry.at) return;
    const deleted = this.deletedAt.get(instanceId);
    if (deleted !== undefined && at <= deleted) return;
    // `deleted` instances leave the inventory; soft-deleted ones stay until reclaimed.
    if (state === 'deleted') {
      this.remove(instanceId, at);
      return;
    }
    if (entry) {
      entry.state = state;
      entry.host = host;
      entry.at = at;
      return;
    }
    if (this.instances.size >= this.options.maxInstances) {
      this.options.onOverflow();
      return;
    }
    this.instances.set(instanceId, { state, host, at });
  }

  remove(instanceId: string, at: number): void {
    this.instances.delete(instanceId);
    this.deletedAt.delete(instanceId);
    if (this.deletedAt.size >= this.options.maxInstances) evictOldest(this.deletedAt, evictionBatch(this.options.maxInstances));
    this.deletedAt.set(instanceId, at);
  }

  dump(): InventoryState {
    return {
      instances: [...this.instances].map(([id, e]) => [id, e.state, e.host, e.at]),
      deleted: [...this.deletedAt],
    };
  }

  restore(state: InventoryState): void {
    this.instances.clear();
    this.deletedAt.clear();
    for (const [id, s, host, at] of state.instances) this.instances.set(id, { state: s, host, at });
    for (const [id, at] of state.deleted) this.deletedAt.set(id, at);
  }

  /** Count per (state, host); computed at scrape time rather than kept up to date. */
  counts(): Map<string, { state: string; host: string; count: number }> {
    const out = new Map<string, { state: string; host: string; count: number }>();
    for (const { state, host } of this.instances.values()) {
      const key = `${state}\u0000${host}`;
      const entry = out.get(key);
      if (entry) entry.count++;
      else out.set(key, { state, host, count: 1 });
    }
    return out;
  }

  get size(): number {
    return this.instances.size;
  }
}
