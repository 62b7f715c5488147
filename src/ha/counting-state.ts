/**
 * What the counting pipeline knows beyond its counters, as plain data: the inventory, the
 * actions in flight and the ends held for their starts, the recent message ids, which
 * label values each bounded label has let through, and the landing page's recent activity. A replica taking over restores it so
 * it counts on exactly as the one before it would have.
 */
import type { TrackerState } from '../metrics/action-tracker.js';
import type { InventoryState } from '../metrics/inventory.js';
import type { ActivityState } from '../metrics/recent-activity.js';

export interface CountingState {
  readonly tracker: TrackerState;
  readonly inventory: InventoryState;
  /** The services' resources: their actions in flight and their inventory. */
  readonly resources: { readonly tracker: TrackerState; readonly inventory: InventoryState };
  /** Oldest first. */
  readonly recentIds: readonly string[];
  readonly labels: Readonly<Record<string, readonly string[]>>;
  /** The newest notification time seen (stream-clock.ts); absent before the first, or in an older snapshot. */
  readonly streamClock?: number;
  /** The landing page's recent activity; absent in snapshots of versions before it was carried. */
  readonly activity?: ActivityState;
}

export interface CountingStateAccess {
  dump(): CountingState;
  /** Into a freshly built pipeline, before it counts anything. */
  restore(state: CountingState): void;
}
