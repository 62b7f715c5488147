import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { eventually, runExporter } from '../support/exporter.js';
import { valueOf } from '../support/metrics-text.js';
import { ownNodes, type RabbitNode } from '../support/rabbit-nodes.js';

const USER = 'osne-test-noaccess';
const PASSWORD = 'N0-access-pw-7f3a';

/**
 * Problems a person must fix: each is one line naming it, without stack trace or password;
 * the exporter stays up, not ready, and keeps retrying with backoff instead of crash-looping.
 * A user is added, so this runs on a node of its own.
 */
describe('broker problems that need a person', () => {
  const own = ownNodes(1);
  const vhost = { name: 'osne-errors' };
  let node: RabbitNode;

  before(async () => {
    [node] = own.nodes as [RabbitNode];
    await node.ctl('add_vhost', vhost.name);
    await node.ctl('add_user', USER, PASSWORD);
  });

  // Functions, because the vhost only exists once before() has run.
  const cases: [string, () => string, () => RegExp][] = [
    [
      'wrong credentials',
      () => `amqp://${USER}:Wr0ng-pw-9c1d@127.0.0.1:${node.port}/${vhost.name}`,
      () => /refused the login of user "osne-test-noaccess": check the user and password in --amqp\.url/,
    ],
    [
      'a missing vhost',
      () => `amqp://${USER}:${PASSWORD}@127.0.0.1:${node.port}/osne-no-such-vhost`,
      () => /refused vhost "osne-no-such-vhost" to user "osne-test-noaccess": the vhost does not exist/,
    ],
    [
      'access refused to the vhost',
      () => `amqp://${USER}:${PASSWORD}@127.0.0.1:${node.port}/${vhost.name}`,
      () => new RegExp(`refused vhost "${vhost.name}" to user "${USER}".*rabbitmqctl set_permissions`),
    ],
    [
      'amqps:// against the plain AMQP port',
      () => `amqps://guest:guest@127.0.0.1:${node.port}/`,
      () => new RegExp(`^127\\.0\\.0\\.1:${node.port} did not answer with TLS: the TLS port is usually 5671$`),
    ],
    ['an unreachable host', () => 'amqp://guest:guest@127.0.0.1:1/', () => /nothing listens on 127\.0\.0\.1:1 \(is RabbitMQ running\?\)/],
  ];

  for (const [what, url, expected] of cases) {
    test(`${what}: one clear line, not ready, retried`, async () => {
      const exporter = await runExporter({ 'amqp.url': url(), 'amqp.reconnect-max-delay-seconds': '1' });
      try {
        const lines = await eventually(() => {
          const errors = exporter.logs.filter((l) => l.includes('"level":"error"'));
          assert.ok(errors.length >= 2, 'retried');
          return errors;
        }, 20_000);
        for (const line of lines) {
          assert.match(JSON.parse(line).msg as string, expected());
          assert.ok(!line.includes('stack') && !line.includes('    at '), 'no stack trace');
          assert.ok(!line.includes(PASSWORD) && !line.includes('Wr0ng-pw-9c1d'), 'no password');
          assert.equal(line.trim().split('\n').length, 1);
        }
        assert.deepEqual(lines.map((l) => JSON.parse(l).attempt).slice(0, 2), [1, 2]);
        const ready = await exporter.get('/-/ready');
        assert.equal(ready.status, 503);
        // The same line as the log, as the reason it is not ready.
        const body = await ready.text();
        assert.match(body, /^Not ready: [^\n]+\n$/);
        assert.match(body.slice('Not ready: '.length, -1), expected());
        assert.equal((await exporter.get('/-/healthy')).status, 200);
        assert.equal(valueOf(await exporter.scrape(), 'openstack_notification_exporter_amqp_connected'), 0);
      } finally {
        await exporter.stop();
      }
    });
  }
});
