/**
 * `check --ha`: whether the state queue `<queue>.state` can take the active replica's
 * snapshots. Each of these makes every snapshot fail (docs/high-availability.md): the queue
 * declared with other arguments, a user who may not declare or write it, a snapshot over
 * the broker's max_message_size. Without --management.url only the arguments are checked.
 */
import type { ChannelModel } from 'amqplib';
import { errorCode, serverMessage } from '../amqp/errors.js';
import type { ManagementClient } from '../amqp/management.js';
import { shellWord } from '../amqp/shell-word.js';
import { withChannel } from '../amqp/topology.js';
import { stateQueueArguments, stateQueueName, type StateQueueSpec } from '../ha/state-queue.js';
import type { Verdict } from './check-verdicts.js';

// RabbitMQ's default max_message_size: 128 MiB up to 3.13, 16 MiB from 4.0.
const MIB = 1024 * 1024;
export const defaultMaxMessageBytes = (version: string): number => (Number(/^(\d+)\./.exec(version)?.[1] ?? 0) >= 4 ? 16 * MIB : 128 * MIB);

export interface StateQueueCheck {
  readonly connection: ChannelModel;
  readonly management: ManagementClient | undefined;
  readonly vhost: string;
  readonly user: string;
  readonly spec: StateQueueSpec;
  readonly report: (v: Verdict) => void;
}

export async function checkStateQueue({ connection, management, vhost, user, spec, report }: StateQueueCheck): Promise<void> {
  const name = stateQueueName(spec.queue);
  const deleteHint = `delete it (rabbitmqctl delete_queue -p ${shellWord(vhost)} ${shellWord(name)}): the next snapshot declares it again`;
  const found = await withChannel(connection, (ch) => ch.checkQueue(name)).catch((err: unknown) => {
    if (errorCode(err) === 404) return undefined;
    throw err;
  });
  if (found === undefined) {
    report({ status: 'ok', text: `state queue ${name} not declared yet: the active replica declares it with its first snapshot` });
  } else {
    // It exists: declaring it with serve's arguments changes nothing, or is refused if they differ.
    const refusal = await withChannel(connection, (ch) =>
      ch.assertQueue(name, { durable: true, arguments: stateQueueArguments(spec) }),
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (refusal === undefined) report({ status: 'ok', text: `state queue ${name} has the arguments serve declares it with` });
    else if (errorCode(refusal) === 406)
      report({ status: 'FAIL', text: `state queue ${name} exists with other arguments: ${serverMessage(refusal)}`, hint: deleteHint });
    else throw refusal;
  }
  if (!management) {
    report({ status: 'warn', text: `permission to write ${name} and the snapshot's size need --management.url` });
    return;
  }
  const permissions = await management.permissions(vhost, user).catch(() => undefined);
  // The broker's own expressions run on one queue name (at most 255 bytes): bounded work.
  const allows = (pattern: string | undefined) => pattern !== undefined && pattern !== '' && new RegExp(pattern).test(name);
  if (!permissions) {
    report({
      status: 'warn',
      text: `could not read user "${user}"'s permissions on vhost "${vhost}" (the management user needs the administrator tag)`,
    });
  } else if (!allows(permissions.configure) || !allows(permissions.write)) {
    report({
      status: 'FAIL',
      text: `user "${user}" may not ${allows(permissions.configure) ? '' : 'declare '}${!allows(permissions.configure) && !allows(permissions.write) ? 'or ' : ''}${allows(permissions.write) ? '' : 'write '}${name}: every snapshot would be refused`,
      hint: `grant configure and write on it: rabbitmqctl set_permissions -p ${shellWord(vhost)} ${shellWord(user)} CONFIGURE WRITE READ with expressions that match ${name}`,
    });
  } else {
    report({ status: 'ok', text: `user "${user}" may declare and write ${name}` });
  }
  const info = found && (await management.queue(vhost, name));
  if (!info?.messages || info.message_bytes === undefined) return;
  const version = await management.version().catch(() => undefined);
  const limit = defaultMaxMessageBytes(version ?? '');
  // The queue holds the latest two snapshots; the newer is the larger one while the cloud grows.
  const each = Math.ceil(info.message_bytes / info.messages);
  const sizes = `${name} holds ${info.messages} snapshot(s) of about ${(each / MIB).toFixed(1)} MiB; RabbitMQ ${version ?? ''}'s default max_message_size is ${limit / MIB} MiB`;
  if (each > limit) {
    report({
      status: 'FAIL',
      text: sizes,
      hint: 'raise max_message_size in rabbitmq.conf (if not already) or lower --metrics.max-tracked-instances',
    });
  } else if (each > limit / 2) {
    report({
      status: 'warn',
      text: `${sizes}: the state is over half way to it`,
      hint: 'raise max_message_size in rabbitmq.conf before it is reached',
    });
  } else {
    report({ status: 'ok', text: sizes });
  }
}
