/**
 * Instances per state and host, kept from notifications. Starts empty after a restart
 * and fills in as instances change or as the hourly `exists` audit names each one.
 */
export interface InventoryOptions {
  readonly maxInstances: number;
  readonly onOverflow: () => void;
}

interface Entry {
  state: string;
  host: string;
}

export class Inventory {
  private readonly instances = new Map<string, Entry>();

  constructor(private readonly options: InventoryOptions) {}

  observe(instanceId: string, state: string, host: string): void {
    // `deleted` instances leave the inventory; soft-deleted ones stay until reclaimed.
    if (state === 'deleted') {
      this.instances.delete(instanceId);
      return;
    }
    const entry = this.instances.get(instanceId);
    if (entry) {
      entry.state = state;
      entry.host = host;
      return;
    }
    if (this.instances.size >= this.options.maxInstances) {
      this.options.onOverflow();
      return;
    }
    this.instances.set(instanceId, { state, host });
  }

  remove(instanceId: string): void {
    this.instances.delete(instanceId);
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
