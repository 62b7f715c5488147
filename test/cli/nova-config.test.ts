import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildConfig, ConfigError, type Config, type RawFlags } from '../../src/config/config.js';

const shownValue = (c: Config, flag: string): string | undefined => c.settings.find((s) => s.flag === flag)?.value;
import { startCli } from '../support/cli.js';

const NOVA_CONF = '/etc/nova/nova.conf';
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/nova-conf/${name}`, import.meta.url), 'utf8');
/** buildConfig with --nova.config-file pointing at `text` (no filesystem). */
const withConf = (
  text: string,
  cli: RawFlags = {},
  env: Record<string, string> = {},
  command: 'serve' | 'tail' | 'check' | 'simulate' = 'serve',
) => buildConfig({ 'nova.config-file': NOVA_CONF, ...cli }, env, { command, readFile: () => text });

describe('--nova.config-file', () => {
  test('takes transport_url, the topics for the format, notification_format and control_exchange', () => {
    const c = withConf(fixture('versioned-topics.conf'));
    assert.equal(shownValue(c, 'amqp.url'), 'amqp://nova:***@ctl:5672/');
    assert.equal(c.amqp.address.hosts[0]?.password, 'secret');
    assert.deepEqual(c.amqp.exchanges, ['compute']);
    assert.equal(c.nova.notificationFormat, 'both');
    assert.deepEqual(c.amqp.topics, ['notifications_legacy', 'versioned_notifications', 'searchlight_versioned']);
    assert.equal(c.nova.configFile, NOVA_CONF);
    assert.equal(c.nova.silentReason, undefined);
  });

  test("uses Nova's defaults for what nova.conf leaves out: exchange nova, its default topics", () => {
    const c = withConf(fixture('devstack.conf'));
    assert.deepEqual(c.amqp.exchanges, ['nova']);
    assert.deepEqual(c.amqp.topics, ['notifications', 'versioned_notifications']);
    assert.deepEqual(
      c.amqp.address.hosts.map((h) => h.hostname),
      ['10.0.0.10', '10.0.0.11'],
    );
    assert.equal(c.amqp.address.vhost, 'notifications');
  });

  const precedence: { name: string; cli: RawFlags; env: Record<string, string>; expect: (c: ReturnType<typeof withConf>) => void }[] = [
    {
      name: 'a flag wins over its variable and nova.conf',
      cli: {
        'amqp.url': 'amqp://a:b@flag/',
        'amqp.exchange': ['flag'],
        'nova.notification-format': 'unversioned',
        'amqp.topic': ['t_flag'],
      },
      env: { AMQP_URL: 'amqp://a:b@env/', AMQP_EXCHANGE: 'env', NOVA_NOTIFICATION_FORMAT: 'versioned', AMQP_TOPIC: 't_env' },
      expect: (c) => {
        assert.equal(c.amqp.address.hosts[0]?.hostname, 'flag');
        assert.deepEqual(c.amqp.exchanges, ['flag']);
        assert.equal(c.nova.notificationFormat, 'unversioned');
        assert.deepEqual(c.amqp.topics, ['t_flag']);
      },
    },
    {
      name: 'a variable wins over nova.conf',
      cli: {},
      env: { AMQP_URL: 'amqp://a:b@env/', AMQP_EXCHANGE: 'env', NOVA_NOTIFICATION_FORMAT: 'versioned', AMQP_TOPIC: 't_env' },
      expect: (c) => {
        assert.equal(c.amqp.address.hosts[0]?.hostname, 'env');
        assert.deepEqual(c.amqp.exchanges, ['env']);
        assert.equal(c.nova.notificationFormat, 'versioned');
        assert.deepEqual(c.amqp.topics, ['t_env']);
      },
    },
    {
      name: "a format given as a flag picks nova.conf's topics for that format",
      cli: { 'nova.notification-format': 'unversioned' },
      env: {},
      expect: (c) => {
        assert.equal(c.nova.notificationFormat, 'unversioned');
        assert.deepEqual(c.amqp.topics, ['notifications_legacy']);
        assert.equal(c.amqp.address.hosts[0]?.hostname, 'ctl');
      },
    },
    {
      name: 'a format given as a variable does too',
      cli: {},
      env: { NOVA_NOTIFICATION_FORMAT: 'versioned' },
      expect: (c) => assert.deepEqual(c.amqp.topics, ['versioned_notifications', 'searchlight_versioned']),
    },
  ];
  for (const p of precedence) {
    test(`precedence: ${p.name}`, () => p.expect(withConf(fixture('versioned-topics.conf'), p.cli, p.env)));
  }

  test('without nova.conf the defaults stay', () => {
    const c = buildConfig({}, {}, { readFile: () => assert.fail('no file to read') });
    assert.deepEqual(c.amqp.exchanges, ['nova']);
    assert.equal(c.nova.configFile, undefined);
  });

  test('reads NOVA_CONFIG_FILE, for every command', () => {
    for (const command of ['serve', 'tail', 'check', 'simulate'] as const) {
      const c = buildConfig({}, { NOVA_CONFIG_FILE: NOVA_CONF }, { command, readFile: () => fixture('versioned-topics.conf') });
      assert.deepEqual(c.amqp.exchanges, ['compute'], command);
    }
  });

  test('a noop driver is reported, not refused', () => {
    const c = withConf(fixture('noop.conf'));
    assert.equal(c.nova.silentReason, 'Nova sends no notifications: [oslo_messaging_notifications] driver is noop');
    assert.equal(c.amqp.address.hosts[0]?.hostname, 'rabbit.internal');
    assert.equal(
      withConf('[DEFAULT]\n').nova.silentReason,
      'Nova sends no notifications: [oslo_messaging_notifications] driver is not set (oslo sends nothing without one)',
    );
  });

  const bad: [name: string, readFile: (path: string) => string, message: string][] = [
    [
      'an unreadable file',
      () => {
        throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
      },
      'invalid --nova.config-file: cannot read /etc/nova/nova.conf: no such file',
    ],
    [
      'a file oslo.config would refuse, its line quoted with the password masked',
      () => '[DEFAULT]\n  rabbit://nova:hunter2@ctl/\n',
      'invalid --nova.config-file: /etc/nova/nova.conf:2: unexpected continuation line: "  rabbit://nova:***@ctl/"',
    ],
    [
      'a bad notification_format',
      () => fixture('bad-format.conf'),
      'invalid --nova.config-file: /etc/nova/nova.conf:8: [notifications] notification_format must be one of unversioned, versioned, both, got "Both"',
    ],
    [
      "a transport_url the exporter cannot use, named as nova.conf's and without its password",
      () => '[DEFAULT]\ntransport_url = kafka://nova:hunter2@ctl/\n',
      'invalid --amqp.url (from /etc/nova/nova.conf): scheme kafka:// is not supported: use amqp://, amqps:// or rabbit://',
    ],
    [
      'an empty topics list',
      () => '[oslo_messaging_notifications]\ndriver = messagingv2\ntopics =\n',
      'invalid --amqp.topic (from /etc/nova/nova.conf): "" needs at least one value',
    ],
  ];
  for (const [name, readFile, message] of bad) {
    test(`fails with one line naming the flag: ${name}`, () => {
      assert.throws(
        () => buildConfig({ 'nova.config-file': NOVA_CONF }, {}, { readFile }),
        (err: unknown) => err instanceof ConfigError && err.message === message,
      );
    });
  }

  test('serve warns that Nova sends nothing and keeps running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osne-nova-'));
    try {
      const conf = join(dir, 'nova.conf');
      // Port 1: nothing listens, so serve only logs and retries; the warning comes first either way.
      writeFileSync(conf, '[DEFAULT]\ntransport_url = rabbit://nova:hunter2@127.0.0.1:1/\n[oslo_messaging_notifications]\ndriver = noop\n');
      const run = startCli(['serve', '--nova.config-file', conf, '--web.listen-address', '127.0.0.1:0']);
      // The first failed connection comes after serve has set up its signal handlers.
      const out = await run.waitFor('stdout', /nothing listens on 127\.0\.0\.1:1/);
      assert.match(out, /"level":"warn".*"msg":"Nova sends no notifications: \[oslo_messaging_notifications\] driver is noop"/);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
      assert.ok(!(run.stdout() + run.stderr()).includes('hunter2'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the CLI exits 2 on an unreadable nova.conf, for every command', async () => {
    const run = promisify(execFile);
    for (const command of ['serve', 'tail', 'check', 'simulate']) {
      const err = await run(process.execPath, [
        '--import',
        'tsx',
        'src/cli.ts',
        command,
        '--nova.config-file',
        '/nonexistent/nova.conf',
      ]).then(
        () => assert.fail('should have exited non-zero'),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(err.code, 2, command);
      assert.equal(
        err.stderr,
        'openstack-notification-exporter: invalid --nova.config-file: cannot read /nonexistent/nova.conf: no such file\n',
      );
    }
  });
});

describe('the flags of tail, check and simulate', () => {
  test('have their defaults', () => {
    const c = buildConfig({}, {}, { command: 'tail' });
    assert.deepEqual(c.tail, { output: 'text', eventTypes: [], priorities: [], hosts: [], requestIds: [], count: 0, showSecrets: false });
    assert.deepEqual(buildConfig({}, {}, { command: 'check' }).check, { waitSeconds: 10, fix: false, managementUrl: undefined });
    assert.equal(buildConfig({}, {}, { command: 'simulate' }).simulate.count, 1000);
  });

  test('--tail.raw wins over --tail.output; repeatable filters read comma lists from their variables', () => {
    const c = buildConfig(
      { 'tail.raw': 'true', 'tail.output': 'json' },
      { TAIL_EVENT_TYPE: 'compute.*, instance.*', TAIL_HOST: 'cmp-*' },
      { command: 'tail' },
    );
    assert.equal(c.tail.output, 'raw');
    assert.deepEqual(c.tail.eventTypes, ['compute.*', 'instance.*']);
    assert.deepEqual(c.tail.hosts, ['cmp-*']);
  });

  const cases: [RawFlags, Record<string, string>, 'tail' | 'check', string][] = [
    [
      { 'tail.priority': ['info', 'loud'] },
      {},
      'tail',
      'invalid --tail.priority: "info,loud" must be one of info, warn, error, audit, debug, critical, sample',
    ],
    [{ 'tail.output': 'yaml' }, {}, 'tail', 'invalid --tail.output: "yaml" must be one of text, json'],
    [{ 'tail.count': '-1' }, {}, 'tail', 'invalid --tail.count: "-1" must be an integer from 0 to 1000000000'],
    [{ 'tail.event-type': [''] }, {}, 'tail', 'invalid --tail.event-type: "" must not be empty'],
    [{ 'check.wait-seconds': 'soon' }, {}, 'check', 'invalid --check.wait-seconds: "soon" must be an integer from 0 to 3600'],
    [
      {},
      { MANAGEMENT_URL: 'ftp://guest:hunter2@h' },
      'check',
      'invalid --management.url (from MANAGEMENT_URL): must be an http:// or https:// URL, e.g. http://guest:guest@127.0.0.1:15672',
    ],
  ];
  for (const [cli, env, command, message] of cases) {
    test(message, () => {
      assert.throws(
        () => buildConfig(cli, env, { command }),
        (err: unknown) => err instanceof ConfigError && err.message === message,
      );
    });
  }

  test('the management URL is shown with its password masked', () => {
    const c = buildConfig({ 'management.url': 'http://admin:hunter2@rabbit:15672' }, {}, { command: 'check' });
    assert.equal(c.check.managementUrl, 'http://admin:hunter2@rabbit:15672');
    assert.equal(shownValue(c, 'management.url'), 'http://admin:***@rabbit:15672');
  });
});
