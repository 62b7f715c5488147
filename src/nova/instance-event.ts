/**
 * What the Nova mapper finds in one notification, the same shape for legacy and versioned
 * Nova: the facts the instance metrics and the landing page count.
 */
import type { TimeRejection } from '../pipeline/time-window.js';

export interface InstanceEvent {
  readonly instanceId: string | undefined;
  /** Host the instance lives on (payload host), else the notification's host. */
  readonly host: string;
  /** `create` from `compute.instance.create.start` / `instance.create.start`. */
  readonly action: string | undefined;
  readonly phase: 'start' | 'end' | 'error' | undefined;
  /** vm_state now, e.g. `active`; undefined when the payload has none. */
  readonly state: string | undefined;
  readonly stateTransition: { readonly from: string; readonly to: string } | undefined;
  readonly taskStateTransition: { readonly from: string; readonly to: string } | undefined;
  /** Exception class for error notifications (never the message text). */
  readonly exception: string | undefined;
  readonly isError: boolean;
  /** launched_at − created_at, on create end only. */
  readonly buildDurationSeconds: number | undefined;
  /** created_at or launched_at lay outside the time window: no build duration, counted under this reason. */
  readonly rejectedTime?: TimeRejection;
  /** The hourly `exists` audit: one per instance, rebuilds the inventory. */
  readonly isAudit: boolean;
  /** oslo request id from the payload where the format carries one (versioned: `request_id`). */
  readonly requestId: string | undefined;
}
