/**
 * What the decoding stage hands to the metrics stage. Nothing here knows about AMQP
 * or Prometheus: a Notification is built from bytes alone.
 */

/** oslo priorities; anything else decodes as `unknown` (still counted, see reasons). */
export const PRIORITIES = ['INFO', 'WARN', 'ERROR', 'AUDIT', 'DEBUG', 'CRITICAL', 'SAMPLE'] as const;
export type Priority = (typeof PRIORITIES)[number] | 'unknown';

/** Why a message could not become a Notification. A small fixed set: it is a label. */
export const DROP_REASONS = [
  'oversized',
  'invalid_utf8',
  'malformed_json',
  'not_an_object',
  'malformed_envelope',
  'missing_event_type',
  'duplicate',
  // A notification that decoded but broke the mapping code: a bug, counted rather than crashing.
  'processing_error',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** `legacy` = Nova's unversioned format, `versioned` = nova_object payloads. */
export type PayloadFormat = 'legacy' | 'versioned';

export interface Notification {
  /** oslo `message_id`; absent in Nova's doc samples, present on the wire. */
  readonly messageId: string | undefined;
  readonly eventType: string;
  readonly priority: Priority;
  /** Raw `publisher_id`, e.g. `compute.host1` or `nova-compute:host1`. */
  readonly publisherId: string;
  /** Service part of publisher_id: `compute`, `nova-compute`, `scheduler`. */
  readonly publisher: string;
  /** Host part of publisher_id, else the payload's host, else `unknown`. */
  readonly host: string;
  /** oslo `timestamp` as epoch seconds (naive UTC on the wire); undefined if absent or unparseable. */
  readonly timestampSeconds: number | undefined;
  readonly format: PayloadFormat;
  /** `v2` = messagingv2 envelope (`oslo.message`), `v1` = bare inner message. */
  readonly envelope: 'v1' | 'v2';
  /** AMQP exchange it arrived on (`nova`, `cinder`, ...); '' when unknown (a file, a test). */
  readonly exchange: string;
  /** Payload as sent (for versioned: still wrapped in nova_object.*). Never holds `_context_*`. */
  readonly payload: Readonly<Record<string, unknown>>;
}

export type DecodeResult =
  { readonly ok: true; readonly notification: Notification } | { readonly ok: false; readonly reason: DropReason; readonly detail: string };

/** Facts about one instance event, the same shape for legacy and versioned Nova. */
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
  /** The hourly `exists` audit: one per instance, rebuilds the inventory. */
  readonly isAudit: boolean;
  /** oslo request id from the payload where the format carries one (versioned: `request_id`). */
  readonly requestId: string | undefined;
}
