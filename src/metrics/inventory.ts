/**
 * Instances per state and host, kept from notifications. Starts empty after a restart
 * and fills in as instances change or as the hourly `exists` audit names each one.
 * Each instance keeps the time of the notification it came from, so one that arrives
 * late (redelivered, or from another replica's backlog) cannot undo a newer state; a
 * deleted instance leaves a bounded trail of tombstones for the same reason.
 *
 * The audits also take out what they no longer name: a delete whose notification was lost
 * (sent while nothing listened, or dropped by a full queue) would otherwise keep an instance
 * forever. Once the audit of a host has moved two audit periods past the last time anything
 * named an instance of that host, the instance is expired: tombstoned and counted. The clock
 * is the audits' own (the newest audit notification per host), so nothing expires where no
 * audit runs, nor while a host's audit is down. The period is the configured one, or longer
 * where the audits are seen to come less often (the gap between two audits of one instance).
 */
import { evictOldest, evictionBatch } from './evict.js';

export interface InventoryOptions {
  readonly maxInstances: number;
  readonly onOverflow: () => void;
  /** The audit's period in seconds (Nova's instance_usage_audit_period: an hour); 0: audits never expire anything. */
  readonly auditPeriodSeconds?: number;
  /** Instances taken out because no audit named them for two periods. */
  readonly onExpired?: (count: number) => void;
  /** States the audit does not name (Nova's shelved_offloaded instances have no host to audit them): never expired. */
  readonly unauditedStates?: ReadonlySet<string>;
}

interface Entry {
  state: string;
  host: string;
  at: number;
  /** When an audit last named it. */
  auditedAt: number | undefined;
}

/** Per host: the newest audit seen, and the period its audits are seen to run at. */
interface AuditClock {
  newest: number;
  period: number;
}

/** The inventory as plain data, oldest first, for the HA state snapshot. */
export interface InventoryState {
  /** instanceId, state, host, at, audited at (absent: never audited). */
  readonly instances: [string, string, string, number, number?][];
  /** instanceId, deleted at. */
  readonly deleted: [string, number][];
  /** host, newest audit, period (absent in snapshots of versions before audit expiry). */
  readonly audits?: [string, number, number][];
}

export class Inventory {
  private readonly instances = new Map<string, Entry>();
  private readonly deletedAt = new Map<string, number>();
  private readonly audits = new Map<string, AuditClock>();
  /** An audit clock moved since the last expire(): only then can anything expire. */
  private auditsMoved = false;

  constructor(private readonly options: InventoryOptions) {}

  /** `audit`: the notification is a periodic audit naming the instance (`exists`). */
  observe(instanceId: string, state: string, host: string, at: number, audit = false): void {
    if (audit) this.auditSeen(instanceId, host, at);
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
      if (audit) entry.auditedAt = at;
      return;
    }
    if (this.instances.size >= this.options.maxInstances) {
      this.options.onOverflow();
      return;
    }
    this.instances.set(instanceId, { state, host, at, auditedAt: audit ? at : undefined });
  }

  /**
   * Takes out the instances no audit has named for two periods of their host's audit
   * (see the module comment); returns how many. Cheap when no audit came since the last call.
   */
  expire(): number {
    const period = this.options.auditPeriodSeconds ?? 0;
    if (!this.auditsMoved || period <= 0) return 0;
    this.auditsMoved = false;
    let expired = 0;
    for (const [id, e] of this.instances) {
      const clock = this.audits.get(e.host);
      if (clock === undefined || this.options.unauditedStates?.has(e.state)) continue;
      const lastNamed = Math.max(e.at, e.auditedAt ?? e.at);
      const horizon = clock.newest - 2 * clock.period;
      if (lastNamed > horizon) continue;
      // Tombstoned at the horizon: what is older was judged already; a newer notification brings it back.
      this.remove(id, horizon);
      expired++;
    }
    if (expired > 0) this.options.onExpired?.(expired);
    return expired;
  }

  remove(instanceId: string, at: number): void {
    this.instances.delete(instanceId);
    this.deletedAt.delete(instanceId);
    if (this.deletedAt.size >= this.options.maxInstances) evictOldest(this.deletedAt, evictionBatch(this.options.maxInstances));
    this.deletedAt.set(instanceId, at);
  }

  dump(): InventoryState {
    return {
      instances: [...this.instances].map(([id, e]) =>
        e.auditedAt === undefined ? [id, e.state, e.host, e.at] : [id, e.state, e.host, e.at, e.auditedAt],
      ),
      deleted: [...this.deletedAt],
      audits: [...this.audits].map(([host, c]) => [host, c.newest, c.period]),
    };
  }

  restore(state: InventoryState): void {
    this.instances.clear();
    this.deletedAt.clear();
    this.audits.clear();
    for (const [id, s, host, at, auditedAt] of state.instances) this.instances.set(id, { state: s, host, at, auditedAt });
    for (const [id, at] of state.deleted) this.deletedAt.set(id, at);
    for (const [host, newest, period] of state.audits ?? []) this.audits.set(host, { newest, period });
    this.auditsMoved = this.audits.size > 0;
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

  /** The host's audit clock moves to `at`; the gap since this instance's previous audit shows the period. */
  private auditSeen(instanceId: string, host: string, at: number): void {
    const configured = this.options.auditPeriodSeconds ?? 0;
    let clock = this.audits.get(host);
    if (clock === undefined) {
      // Hosts are bounded labels, so the clocks are bounded too.
      clock = { newest: at, period: configured };
      this.audits.set(host, clock);
    }
    const previous = this.instances.get(instanceId)?.auditedAt;
    // Half a period apart or more: the next audit, not the same burst seen twice.
    if (previous !== undefined && at - previous >= configured / 2) clock.period = Math.max(configured, at - previous);
    if (at > clock.newest) {
      clock.newest = at;
      this.auditsMoved = true;
    }
  }
}
