/**
 * What the decoding stage hands to the metrics stage. Nothing here knows about AMQP
 * or Prometheus: a Notification is built from bytes alone.
 */

import type { PayloadFormat } from '../nova/format.js';
import type { Priority } from '../oslo/priority.js';

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
  /** The request behind it (`_context_request_id`, a listener's `ctxt.request_id`): `req-<uuid>`, else undefined. */
  readonly requestId: string | undefined;
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
