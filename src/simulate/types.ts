/**
 * The simulator's vocabulary: one format-neutral description of what happened to an
 * instance (NovaEvent), rendered afterwards as a legacy and/or versioned oslo message.
 * Keeping the fact separate from its rendering is what lets `--format both` emit the
 * very same event twice, as Nova does with notification_format=both.
 */

/** Wire format of one message; the CLI's `unversioned` is `legacy` here. */
export type MessageFormat = 'legacy' | 'versioned';

/** oslo topic a format is sent on (routing key `<topic>.<priority>`). */
export type Topic = 'notifications' | 'versioned_notifications' | 'ironic_versioned_notifications';

/** Who sent it. Legacy publisher_id is `<service>.<host>`; versioned `nova-<binary>:<host>`. */
export type Service = 'compute' | 'api' | 'scheduler' | 'compute_task';

export type Priority = 'INFO' | 'ERROR';

/**
 * Actions the model drives. The legacy and versioned event type names differ
 * (`compute.instance.resize.prep.start` vs `instance.resize_prep.start`); the mapping is in
 * messages.ts. `schedule` is the NoValidHost failure raised before any compute host.
 */
export type Action =
  | 'create'
  | 'update'
  | 'delete'
  | 'reboot'
  | 'power_off'
  | 'power_on'
  | 'resize_prep'
  | 'resize'
  | 'resize_finish'
  | 'resize_confirm'
  | 'exists'
  | 'schedule';

export type Phase = 'start' | 'end' | 'error';

export type PowerState = 'pending' | 'running' | 'shutdown';

export interface Flavor {
  readonly name: string;
  readonly flavorId: string;
  readonly instanceTypeId: number;
  readonly memoryMb: number;
  readonly vcpus: number;
  readonly rootGb: number;
  readonly ephemeralGb: number;
}

export interface Image {
  readonly id: string;
  readonly name: string;
}

/** Everything the payloads say about an instance. Times are epoch milliseconds. */
export interface InstanceState {
  uuid: string;
  displayName: string;
  tenantId: string;
  userId: string;
  reservationId: string;
  /** null until scheduled (and forever, when scheduling failed). */
  host: string | null;
  node: string | null;
  flavor: Flavor;
  image: Image;
  /** Nova vm_state: building, active, stopped, resized, error, deleted. */
  state: string;
  /** Nova task_state: scheduling, spawning, powering-off, ... or null when idle. */
  taskState: string | null;
  powerState: PowerState;
  createdAt: number;
  launchedAt: number | null;
  updatedAt: number | null;
  terminatedAt: number | null;
  deletedAt: number | null;
  ip: string;
  mac: string;
  portId: string;
}

/** The oslo request context, sent as `_context_*` keys (and versioned `request_id`). */
export interface RequestContext {
  readonly requestId: string;
  readonly userId: string;
  readonly projectId: string;
  /** Fake Fernet-looking token: lets exporter tests prove it is never exposed. */
  readonly authToken: string;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
  readonly remoteAddress: string;
  readonly timestamp: number;
}

/** An exception as Nova reports it; only `exception` (the class name) is label material. */
export interface Fault {
  readonly exception: string;
  readonly message: string;
  readonly functionName: string;
  readonly moduleName: string;
  readonly code: number;
}

/** vm_state / task_state change carried by `compute.instance.update` / `instance.update`. */
export interface StateUpdate {
  readonly oldState: string;
  readonly state: string;
  readonly oldTaskState: string | null;
  readonly newTaskState: string | null;
}

/** One thing that happened, before it is rendered in a wire format. */
export interface NovaEvent {
  readonly action: Action;
  /** undefined for `update` and `exists`, which are not start/end pairs. */
  readonly phase: Phase | undefined;
  readonly priority: Priority;
  readonly service: Service;
  /** Host of the sending service (may differ from instance.host, e.g. resize prep on the target). */
  readonly publisherHost: string;
  /** A snapshot: later changes to the live instance must not alter an emitted event. */
  readonly instance: Readonly<InstanceState>;
  /** When it happened (epoch ms, may be fractional: microseconds go into `timestamp`). */
  readonly at: number;
  readonly context: RequestContext;
  readonly stateUpdate?: StateUpdate;
  readonly fault?: Fault;
  /** resize: the flavor being resized to. */
  readonly newFlavor?: Flavor;
  /** exists: the audit period closed by this burst. */
  readonly auditPeriod?: { readonly beginning: number; readonly ending: number };
}

/** The inner oslo message (what messagingv2 puts, JSON-encoded, under `oslo.message`). */
export interface InnerMessage {
  message_id: string;
  publisher_id: string;
  event_type: string;
  priority: Priority;
  payload: Record<string, unknown>;
  timestamp: string;
  _unique_id: string;
  [context: `_context_${string}`]: unknown;
}
