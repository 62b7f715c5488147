/**
 * Why publishing a state snapshot failed, in a bounded set of reasons: the label of
 * openstack_notification_exporter_ha_snapshot_failures_total and the word /-/ready shows.
 * Some repeat until someone acts (the body over the broker's max_message_size, no write
 * permission on <q>.state, <q>.state declared with other arguments), so a failure is
 * retried with the consumer's growing backoff, never at once.
 */
import { errorCode, serverMessage } from '../amqp/errors.js';

export const SNAPSHOT_FAILURE_REASONS = [
  'too_large',
  'access_refused',
  'queue_arguments',
  'nack',
  'confirm_timeout',
  'channel_closed',
] as const;
export type SnapshotFailureReason = (typeof SNAPSHOT_FAILURE_REASONS)[number];

export class SnapshotFailure extends Error {
  constructor(
    readonly reason: SnapshotFailureReason,
    message: string,
  ) {
    super(message);
  }
}

const HINTS: Record<SnapshotFailureReason, string> = {
  too_large: "the snapshot is larger than the broker's max_message_size: raise it or lower --metrics.max-tracked-instances",
  access_refused: 'the user may not declare or write the state queue: grant configure and write on it',
  queue_arguments: 'the state queue exists with other arguments: delete it (it is refilled by the next snapshot)',
  nack: 'the broker refused the snapshot (nack)',
  confirm_timeout: 'the broker did not confirm the snapshot in time',
  channel_closed: 'the state channel closed while publishing',
};

/** A broker error met while declaring the state queue or publishing to it → its reason. */
export function classifySnapshotError(err: unknown): SnapshotFailure {
  if (err instanceof SnapshotFailure) return err;
  const code = errorCode(err);
  const text = serverMessage(err);
  let reason: SnapshotFailureReason = 'channel_closed';
  if (code === 406 || /PRECONDITION/.test(text)) reason = /message size|max size|larger than/i.test(text) ? 'too_large' : 'queue_arguments';
  else if (code === 403 || /ACCESS.REFUSED/.test(text)) reason = 'access_refused';
  return new SnapshotFailure(reason, `${HINTS[reason]} (${text})`);
}

export const snapshotFailureText = (queue: string, f: SnapshotFailure) =>
  `publishing the state snapshot to ${queue}.state failed (${f.reason}): ${f.message}`;
