import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { uniqueName } from '../support/broker.js';
import { runCli } from '../support/cli.js';
import { runExporter, eventually } from '../support/exporter.js';
import { lifecycle } from '../support/fixtures.js';
import { osloNotify } from '../support/oslo.js';
import { declaredArguments, suiteVhost, listExchanges, listQueues, rabbitmqctl } from '../support/vhost.js';
import { TEST_AMQP_HOST, TEST_MANAGEMENT_URL, TEST_OSLO_QUERY, TEST_VHOST_QUEUE_TYPE } from '../support/target.js';

const MANAGEMENT_URL = TEST_MANAGEMENT_URL;
const WRONG_MANAGEMENT_URL = (password: string): string => TEST_MANAGEMENT_URL.replace('guest:guest', `guest:${password}`);
// What --check.fix needs to declare a missing exchange: how its service declares it.
const TRANSIENT = '--amqp.declare-exchange=transient';
const AMQP_HOST = TEST_AMQP_HOST.replaceAll('.', '\\.');

/** `check` against the real broker and its management API, one vhost for all, fresh names per test. */
describe('check', () => {
  const suite = suiteVhost();

  const check = (exchange: string, queue: string, ...args: string[]) =>
    runCli(['check', '--amqp.url', suite.vhost.url, '--amqp.exchange', exchange, '--amqp.queue', queue, ...args]);
  const lines = (out: string, status: 'ok' | 'warn' | 'FAIL'): string[] => out.split('\n').filter((l) => l.startsWith(`${status} `));
  const queueNames = async (): Promise<string[]> => (await listQueues(suite.vhost.name)).map((q) => String(q['name']));

  test('a missing exchange fails with the nova.conf hint, and nothing is created', async () => {
    const exchange = uniqueName('nova');
    const queue = uniqueName('osne-q');
    const r = await check(exchange, queue, '--check.wait-seconds', '1');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^ok {4}broker guest:\\*\\*\\*@${AMQP_HOST} accepted user "guest" on vhost "osne-test-\\w+"$`, 'm'));
    assert.match(
      r.stdout,
      new RegExp(
        `^FAIL  exchange ${exchange} missing \\(hint: Nova has not sent a notification yet: check \`driver = messagingv2\` in \\[oslo_messaging_notifications\\]`,
        'm',
      ),
    );
    assert.match(r.stdout, new RegExp(`^FAIL  queue ${queue} missing \\(hint: .*check --fix\\)$`, 'm'));
    assert.ok(!(await listExchanges(suite.vhost.name)).some((x) => x.name === exchange));
    assert.ok(!(await queueNames()).includes(queue));
  });

  test('wrong credentials fail with exit 1 and no password printed', async () => {
    const url = suite.vhost.url.replace('guest:guest', 'guest:hunter2-wrong');
    const r = await runCli(['check', '--amqp.url', url, '--management.url', WRONG_MANAGEMENT_URL('hunter3-wrong')]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `^FAIL {2}cannot use the broker amqp://guest:\\*\\*\\*@${AMQP_HOST}/osne-test-\\w+: broker ${AMQP_HOST} refused the login of user "guest".*\\(hint: `,
        'm',
      ),
    );
    assert.match(r.stdout, /^0 ok, 0 warn, 1 FAIL$/m);
    assert.ok(!/hunter[23]/.test(r.stdout + r.stderr), r.stdout + r.stderr);
  });

  test('a missing queue fails and is not created', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = uniqueName('osne-q');
    const r = await check(exchange, queue, '--check.wait-seconds', '0');
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`^ok {4}exchange ${exchange} exists \\(type and durability need --management\\.url\\)$`, 'm'));
    assert.deepEqual(lines(r.stdout, 'FAIL'), [
      `FAIL  queue ${queue} missing (hint: serve declares it when it starts, and the broker deletes it after --amqp.queue-expires-seconds without a consumer: start the exporter, or run check --fix)`,
    ]);
    assert.ok(!(await queueNames()).includes(queue));
  });

  test('--check.fix declares the exchange as oslo does and the queue and bindings as serve does', async () => {
    const exchange = suite.broker.track('exchange', uniqueName('nova'));
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    const r = await check(exchange, queue, '--check.fix', TRANSIENT, '--check.wait-seconds', '0', '--management.url', MANAGEMENT_URL);
    assert.equal(r.code, 0, r.stdout);
    assert.match(
      r.stdout,
      new RegExp(
        `^ok {4}exchange ${exchange} was missing: declared it as oslo does \\(topic, transient\\) as --amqp\\.declare-exchange transient says \\[--fix\\]$`,
        'm',
      ),
    );
    assert.match(
      r.stdout,
      new RegExp(`^ok {4}queue ${queue} was missing: declared it and bound it \\(${exchange} notifications\\.\\*\\) as serve does`, 'm'),
    );
    assert.deepEqual(
      (await listExchanges(suite.vhost.name)).find((x) => x.name === exchange),
      { name: exchange, type: 'topic', durable: false },
    );
    const q = (await listQueues(suite.vhost.name)).find((x) => x['name'] === queue);
    assert.equal(q?.['durable'], true);
    assert.deepEqual(declaredArguments(q?.['arguments']), [
      ['x-expires', 'signedint', 3_600_000],
      ['x-max-length', 'signedint', 100_000],
    ]);
    const bindings = await rabbitmqctl(
      'list_bindings',
      '-p',
      suite.vhost.name,
      '--formatter',
      'json',
      'source_name',
      'destination_name',
      'routing_key',
    );
    assert.ok(
      (JSON.parse(bindings) as Record<string, string>[]).some(
        (b) => b['source_name'] === exchange && b['destination_name'] === queue && b['routing_key'] === 'notifications.*',
      ),
    );

    // Now the management API sees everything in place.
    const again = await check(exchange, queue, '--check.wait-seconds', '0', '--management.url', MANAGEMENT_URL);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, new RegExp(`^ok {4}exchange ${exchange} exists \\(topic, transient\\)$`, 'm'));
    assert.match(again.stdout, new RegExp(`^ok {4}queue ${queue} is bound \\(${exchange} notifications\\.\\*\\)$`, 'm'));
    assert.deepEqual(lines(again.stdout, 'FAIL'), []);
  });

  test('nothing flowing fails after --check.wait-seconds, and its temporary queue vanishes', async () => {
    const exchange = suite.broker.track('exchange', uniqueName('nova'));
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    assert.equal((await check(exchange, queue, '--check.fix', TRANSIENT, '--check.wait-seconds', '0')).code, 0);
    const r = await check(exchange, queue, '--check.wait-seconds', '1');
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout, 'FAIL'), [
      `FAIL  no notification within 1 s on ${exchange} (notifications.*) (hint: Nova sends only when something happens: create or stop a server (or run \`simulate\`), and check that nova.conf has \`driver = messagingv2\`, the same topics, and a transport_url pointing at this broker and vhost)`,
    ]);
    assert.match(
      r.stdout,
      new RegExp(
        `^warn  bindings of queue ${queue} not checked: AMQP cannot list bindings \\(hint: give --management\\.url to check them\\)$`,
        'm',
      ),
    );
    assert.match(r.stdout, new RegExp(`^warn  nobody consumes queue ${queue}: the exporter is not running`, 'm'));
    assert.ok(!(await queueNames()).some((n) => n.startsWith('amq.gen-')));
  });

  test('all good: every line ok and exit 0 while the exporter runs and Nova publishes', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    const exporter = await runExporter({ 'amqp.url': suite.vhost.url, 'amqp.exchange': [exchange], 'amqp.queue': queue });
    const message = lifecycle()[0] as Record<string, unknown>;
    const publisher = setInterval(() => suite.broker.publishOslo(exchange, message), 100);
    try {
      await eventually(async () => assert.equal((await exporter.get('/-/ready')).status, 200));
      const r = await check(exchange, queue, '--management.url', MANAGEMENT_URL);
      assert.equal(r.code, 0, r.stdout);
      assert.deepEqual([...lines(r.stdout, 'warn'), ...lines(r.stdout, 'FAIL')], []);
      // On a vhost whose default queue type is quorum, check says why the queue is quorum.
      const why = TEST_VHOST_QUEUE_TYPE === 'quorum' ? "; quorum, the vhost's default queue type" : '';
      assert.match(r.stdout, new RegExp(`^ok {4}queue ${queue} exists: \\d+ messages? ready, 1 consumer${why}$`, 'm'));
      assert.match(
        r.stdout,
        new RegExp(
          `^ok {4}notifications flow: got compute\\.instance\\.update from api\\.ctl-01\\.example\\.org on ${exchange} \\(notifications\\.info\\)$`,
          'm',
        ),
      );
      assert.match(r.stdout, /^6 ok, 0 warn, 0 FAIL$/m);
      assert.ok(!r.stdout.includes('guest:guest'));
    } finally {
      clearInterval(publisher);
      await exporter.stop();
    }
  });

  test('under --ha, says how many replicas are active and how many wait (management API)', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    suite.broker.track('queue', `${queue}.state`);
    const flags = { 'amqp.url': suite.vhost.url, 'amqp.exchange': [exchange], 'amqp.queue': queue, ha: 'true' };
    const first = await runExporter(flags);
    const second = await runExporter(flags);
    try {
      await eventually(async () => {
        assert.equal((await first.get('/-/ready')).status, 200);
        assert.equal((await second.get('/-/ready')).status, 200);
      });
      const line = await eventually(async () => {
        const r = await check(exchange, queue, '--ha', '--check.wait-seconds', '0', '--management.url', MANAGEMENT_URL);
        const found = r.stdout.split('\n').find((l) => l.startsWith(`ok    queue ${queue} exists:`)) ?? '';
        assert.match(found, /1 active, 1 waiting$/);
        return found;
      }, 20_000);
      assert.match(line, new RegExp(`^ok {4}queue ${queue} exists: \\d+ messages? ready, 1 active, 1 waiting$`));
      // AMQP alone counts only the active one, and says so instead of "1 consumer".
      const plain = await check(exchange, queue, '--ha', '--check.wait-seconds', '0');
      assert.match(plain.stdout, new RegExp(`^ok {4}queue ${queue} exists: \\d+ messages? ready, 1 active \\(replicas waiting`, 'm'));
    } finally {
      await second.stop();
      await first.stop();
    }
  });

  test('with several services, says which have sent nothing', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    // Cinder's own exchange in this test's vhost, declared as oslo does; nothing is published to it.
    await suite.broker.channel.assertExchange('cinder', 'topic', { durable: false });
    suite.broker.track('exchange', 'cinder');
    const message = lifecycle()[0] as Record<string, unknown>;
    const publisher = setInterval(() => suite.broker.publishOslo(exchange, message), 100);
    try {
      const r = await check(exchange, queue, '--fix', TRANSIENT, '--openstack.services', 'nova,cinder', '--wait-seconds', '2');
      assert.match(r.stdout, /^ok {4}nova sends: got compute\.instance\.update on /m);
      assert.match(
        r.stdout,
        /^warn {2}cinder sent nothing within 2 s on cinder, openstack \(hint: is \[oslo_messaging_notifications\] driver = messagingv2 set in cinder/m,
      );
    } finally {
      clearInterval(publisher);
    }
  });

  test('with the management API, a durable exchange fails only against a durability the exporter was told; a direct one fails', async () => {
    const durable = suite.broker.track('exchange', uniqueName('nova'));
    await suite.broker.channel.assertExchange(durable, 'topic', { durable: true });
    const direct = suite.broker.track('exchange', uniqueName('nova'));
    await suite.broker.channel.assertExchange(direct, 'direct', { durable: false });
    const run = (...args: string[]) =>
      runCli([
        'check',
        '--amqp.url',
        suite.vhost.url,
        '--amqp.exchange',
        durable,
        '--amqp.exchange',
        direct,
        '--amqp.queue',
        uniqueName('osne-q'),
        '--check.wait-seconds',
        '0',
        '--management.url',
        MANAGEMENT_URL,
        ...args,
      ]);
    const told = await run(TRANSIENT);
    assert.equal(told.code, 1);
    assert.match(
      told.stdout,
      new RegExp(
        `^FAIL  exchange ${durable} is durable, but --amqp\\.declare-exchange transient says transient \\(hint: the service declares it as its settings say, and that fails with 406`,
        'm',
      ),
    );
    assert.match(told.stdout, new RegExp(`^FAIL  exchange ${direct} is a direct exchange, not topic \\(hint: `, 'm'));
    // By default the exporter never declares it, so whatever durability the service chose is fine.
    const waiting = await run();
    assert.match(waiting.stdout, new RegExp(`^ok {4}exchange ${durable} exists \\(topic, durable\\)$`, 'm'));
  });

  test('with the management API, a queue declared with other arguments fails naming the flag', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    await suite.broker.channel.assertQueue(queue, { durable: true, arguments: { 'x-expires': 3_600_000, 'x-max-length': 5 } });
    const r = await check(exchange, queue, '--check.wait-seconds', '0', '--management.url', MANAGEMENT_URL);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `^FAIL  queue ${queue} has x-max-length 5, serve asks for 100000 \\(hint: set --amqp\\.queue-max-length to match, or delete the queue`,
        'm',
      ),
    );
    assert.match(r.stdout, new RegExp(`^FAIL  queue ${queue} is not bound to ${exchange} with notifications\\.\\* \\(hint: `, 'm'));
  });

  test('--ha: a state queue declared with other arguments and a user who may not write it each fail with the fix', async () => {
    const exchange = await suite.broker.exchange('nova');
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    const state = suite.broker.track('queue', `${queue}.state`);
    await suite.broker.channel.assertQueue(state, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-max-length': 5 } });
    const vhost = suite.vhost.name;
    // guest may write anything in the vhost but the state queues.
    await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '^(?!.*\\.state$).*', '.*');
    try {
      const r = await check(exchange, queue, '--ha', '--check.wait-seconds', '0', '--management.url', MANAGEMENT_URL);
      assert.equal(r.code, 1);
      assert.match(
        r.stdout,
        new RegExp(
          `^FAIL  state queue ${state.replace('.', '\\.')} exists with other arguments: PRECONDITION_FAILED - inequivalent arg 'x-.* \\(hint: delete it`,
          'm',
        ),
      );
      assert.match(
        r.stdout,
        new RegExp(`^FAIL  user "guest" may not write ${state.replace('.', '\\.')}: every snapshot would be refused \\(hint: `, 'm'),
      );
    } finally {
      await rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
    }
  });

  test('a nova.conf whose driver is noop fails, its transport_url used and its password never printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osne-check-'));
    try {
      const conf = join(dir, 'nova.conf');
      writeFileSync(
        conf,
        `[DEFAULT]\ntransport_url = ${suite.vhost.url.replace('amqp:', 'rabbit:')}\n\n[oslo_messaging_notifications]\ndriver = noop\n`,
      );
      const r = await runCli(['check', '--nova.config-file', conf, '--amqp.queue', uniqueName('osne-q'), '--check.wait-seconds', '0']);
      assert.equal(r.code, 1);
      assert.equal(
        lines(r.stdout, 'FAIL')[0],
        `FAIL  ${conf}: Nova sends no notifications: [oslo_messaging_notifications] driver is noop (hint: set \`driver = messagingv2\` in [oslo_messaging_notifications] on every Nova service and restart them)`,
      );
      assert.match(r.stdout, new RegExp(`accepted user "guest" on vhost "${suite.vhost.name}"`));
      assert.ok(!r.stdout.includes('guest:guest'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The classic mistake: Nova publishes, but to another exchange than the one configured. */
describe('check finds where the notifications go', () => {
  const suite = suiteVhost();
  const nova = lifecycle()[0] as Record<string, unknown>;
  const check = (exchange: string, queue: string, ...args: string[]) =>
    runCli(['check', '--amqp.url', suite.vhost.url, '--amqp.exchange', exchange, '--amqp.queue', queue, ...args]);
  const fail = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('FAIL '));

  /** Nova as oslo sends it with `control_exchange = <exchange>`: declares it and its notifications.info queue. */
  const osloPublishes = (exchange: string) =>
    osloNotify({
      // RabbitMQ 4 denies oslo's transient queues: there every deployment is durable.
      url: `${suite.vhost.url.replace('amqp:', 'rabbit:')}${TEST_OSLO_QUERY}`,
      exchange,
      driver: 'messagingv2',
      publisher_id: 'compute.cmp-1',
      topics: ['notifications'],
      context: {},
      notifications: [{ priority: 'info', event_type: 'compute.instance.update', payload: {} }],
    });

  test("with oslo's queues fed by another exchange, the hint names it (management API)", async () => {
    await osloPublishes('nova-typo');
    suite.broker.track('exchange', 'nova-typo');
    suite.broker.track('queue', 'notifications.info');
    const exchange = suite.broker.track('exchange', uniqueName('nova'));
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    assert.equal((await check(exchange, queue, '--check.fix', TRANSIENT, '--check.wait-seconds', '0')).code, 0);
    const r = await check(exchange, queue, '--check.wait-seconds', '1', '--management.url', MANAGEMENT_URL);
    assert.equal(r.code, 1, r.stdout);
    assert.deepEqual(fail(r.stdout), [
      `FAIL  no notification within 1 s on ${exchange} (notifications.*) (hint: Nova may be publishing to exchange nova-typo: set [DEFAULT] control_exchange = ${exchange} in nova.conf, or run with --amqp.exchange nova-typo)`,
    ]);

    // Without the management API the exchange is unknown, but oslo's queue says notifications are sent here.
    const plain = await check(exchange, queue, '--check.wait-seconds', '1');
    assert.deepEqual(fail(plain.stdout), [
      `FAIL  no notification within 1 s on ${exchange} (notifications.*) (hint: the vhost has oslo's notifications.info queue, so notifications are sent to it; give --management.url to see which exchange feeds them: if not ${exchange}, set [DEFAULT] control_exchange = ${exchange} in nova.conf (oslo's default is openstack))`,
    ]);
  });

  test("Nova's notifications arriving on oslo's default exchange openstack: the hint names it", async () => {
    await osloPublishes('openstack');
    suite.broker.track('exchange', 'openstack');
    const exchange = suite.broker.track('exchange', uniqueName('nova'));
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    assert.equal((await check(exchange, queue, '--check.fix', TRANSIENT, '--check.wait-seconds', '0')).code, 0);
    let published = 0;
    const publisher = setInterval(() => {
      suite.broker.publishOslo('openstack', nova);
      published++;
    }, 100);
    try {
      const r = await check(exchange, queue, '--check.wait-seconds', '2');
      assert.equal(r.code, 1, r.stdout);
      assert.deepEqual(fail(r.stdout), [
        `FAIL  no notification within 2 s on ${exchange} (notifications.*) (hint: Nova may be publishing to exchange openstack: set [DEFAULT] control_exchange = ${exchange} in nova.conf, or run with --amqp.exchange openstack)`,
      ]);
    } finally {
      clearInterval(publisher);
    }
    // The configured exchange missing altogether: its FAIL line names openstack too.
    const missing = await check(uniqueName('nova'), queue, '--check.wait-seconds', '0');
    assert.match(
      fail(missing.stdout)[0] ?? '',
      /^FAIL {2}exchange nova-\w+ missing \(hint: Nova may be publishing to exchange openstack: /,
    );
    // Nothing was taken from oslo's queue: what oslo sent (once per test) and what was published since is all there.
    await eventually(async () => assert.equal(await suite.broker.messageCount('notifications.info'), 2 + published));
  });

  test('Nova publishing to the configured exchange but quiet during the wait: no control_exchange blame, the bindings say so', async () => {
    const exchange = suite.broker.track('exchange', uniqueName('nova'));
    await osloPublishes(exchange);
    const queue = suite.broker.track('queue', uniqueName('osne-q'));
    assert.equal((await check(exchange, queue, '--check.fix', TRANSIENT, '--check.wait-seconds', '0')).code, 0);
    const r = await check(exchange, queue, '--check.wait-seconds', '1', '--management.url', MANAGEMENT_URL);
    assert.deepEqual(fail(r.stdout), [], r.stdout);
    assert.equal(r.code, 0, r.stdout);
    assert.ok(!r.stdout.includes('control_exchange'), r.stdout);
    assert.match(
      r.stdout,
      new RegExp(
        `^warn  no notification within 1 s on ${exchange} \\(notifications\\.\\*\\), but ${exchange} feeds oslo's notifications\\.info: the service publishes to it and was quiet meanwhile.* \\(hint: create or stop a server`,
        'm',
      ),
    );
  });

  test('a 401 from the management API hints at its credentials, not at enabling the plugin', async () => {
    const exchange = await suite.broker.exchange('nova');
    const r = await check(
      exchange,
      uniqueName('osne-q'),
      '--check.wait-seconds',
      '0',
      '--management.url',
      WRONG_MANAGEMENT_URL('hunter2-wrong'),
    );
    const line = fail(r.stdout).find((l) => l.includes('management API')) ?? '';
    assert.equal(
      line,
      `FAIL  the management API at ${WRONG_MANAGEMENT_URL('***')} refused user "guest" (401) (hint: check the user and password in --management.url; the user needs the monitoring or administrator tag (rabbitmqctl set_user_tags))`,
    );
    assert.ok(!r.stdout.includes('rabbitmq-plugins') && !r.stdout.includes('hunter2'));
  });
});
