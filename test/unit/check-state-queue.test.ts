// `check --ha` on the state queue, against the fake broker and a management API stub: each
// of the settings that make every snapshot fail is named with its fix.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ManagementClient, PermissionInfo, QueueInfo } from '../../src/amqp/management.js';
import { parseBrokerUrl } from '../../src/amqp/url.js';
import { checkStateQueue, defaultMaxMessageBytes } from '../../src/commands/check-state-queue.js';
import type { Verdict } from '../../src/commands/check-verdicts.js';
import { FakeAmqp } from '../support/fake-amqp.js';

const MIB = 1024 * 1024;

function management(version: string, permissions: PermissionInfo | undefined, queue: Partial<QueueInfo>): ManagementClient {
  return {
    label: 'http://guest:***@mq:15672',
    version: async () => version,
    exchange: async () => undefined,
    queue: async () => ({ durable: true, type: 'quorum', arguments: {}, ...queue }),
    queueBindings: async () => [],
    queueNames: async () => [],
    vhostDefaultQueueType: async () => undefined,
    permissions: async () => permissions,
  };
}

async function run(amqp: FakeAmqp, client: ManagementClient | undefined): Promise<Verdict[]> {
  const address = parseBrokerUrl('amqp://nova:pw@mq:5672/');
  const connection = await amqp.connectHost(
    { address, tls: {}, heartbeatIntervalSeconds: 10, connectTimeoutSeconds: 5, connectionName: 't' },
    address.hosts[0] as never,
  );
  const verdicts: Verdict[] = [];
  await checkStateQueue({
    connection,
    management: client,
    vhost: '/',
    user: 'nova',
    spec: { queue: 'q', expiresSeconds: 3600 },
    report: (v) => verdicts.push(v),
  });
  return verdicts;
}

const all: PermissionInfo = { configure: '.*', write: '.*', read: '.*' };

describe('check --ha: the state queue', () => {
  test("RabbitMQ's default max_message_size: 128 MiB before 4.0, 16 MiB from 4.0", () => {
    assert.equal(defaultMaxMessageBytes('3.10.8'), 128 * MIB);
    assert.equal(defaultMaxMessageBytes('4.0.5'), 16 * MIB);
  });

  test('all good: arguments, permissions and size each ok', async () => {
    const verdicts = await run(new FakeAmqp(), management('4.0.5', all, { messages: 2, message_bytes: 2 * MIB }));
    assert.deepEqual(
      verdicts.map((v) => `${v.status} ${v.text}`),
      [
        'ok state queue q.state has the arguments serve declares it with',
        'ok user "nova" may declare and write q.state',
        "ok q.state holds 2 snapshot(s) of about 1.0 MiB; RabbitMQ 4.0.5's default max_message_size is 16 MiB",
      ],
    );
  });

  test('declared with other arguments: FAIL with the fix', async () => {
    const amqp = new FakeAmqp();
    amqp.clashes.set('q.state', "PRECONDITION_FAILED - inequivalent arg 'x-max-length' for queue 'q.state' in vhost '/'");
    const [first] = await run(amqp, undefined);
    assert.equal(first?.status, 'FAIL');
    assert.match(
      first?.text ?? '',
      /^state queue q\.state exists with other arguments: PRECONDITION_FAILED - inequivalent arg 'x-max-length'/,
    );
    assert.match(first?.hint ?? '', /rabbitmqctl delete_queue -p \/ q\.state/);
  });

  test('a user who may not write it: FAIL naming the user and the queue', async () => {
    const verdicts = await run(new FakeAmqp(), management('3.10.8', { configure: '.*', write: '^q$', read: '.*' }, {}));
    const fail = verdicts.find((v) => v.status === 'FAIL');
    assert.equal(fail?.text, 'user "nova" may not write q.state: every snapshot would be refused');
  });

  test('snapshots over the broker limit FAIL, over half of it warn', async () => {
    const over = await run(new FakeAmqp(), management('4.0.5', all, { messages: 2, message_bytes: 40 * MIB }));
    assert.equal(over.at(-1)?.status, 'FAIL');
    assert.match(over.at(-1)?.text ?? '', /about 20\.0 MiB; RabbitMQ 4\.0\.5's default max_message_size is 16 MiB/);
    const near = await run(new FakeAmqp(), management('4.0.5', all, { messages: 1, message_bytes: 10 * MIB }));
    assert.equal(near.at(-1)?.status, 'warn');
    const old = await run(new FakeAmqp(), management('3.10.8', all, { messages: 1, message_bytes: 40 * MIB }));
    assert.equal(old.at(-1)?.status, 'ok');
  });

  test('without the management API: arguments checked, the rest said to need it', async () => {
    const verdicts = await run(new FakeAmqp(), undefined);
    assert.deepEqual(
      verdicts.map((v) => v.status),
      ['ok', 'warn'],
    );
    assert.match(verdicts[1]?.text ?? '', /need --management\.url/);
  });
});
