import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildConfig, ConfigError, type Config, type RawFlags } from '../../src/config/config.js';

const shownValue = (c: Config, flag: string): string | undefined => c.settings.find((s) => s.flag === flag)?.value;
import { FLAGS, envName, type FlagSpec } from '../../src/config/flags.js';

describe('buildConfig', () => {
  test('gives the documented defaults', () => {
    const c = buildConfig({}, {});
    assert.equal(c.amqp.address.hosts[0]?.hostname, '127.0.0.1');
    assert.deepEqual(c.amqp.exchanges, ['nova']);
    assert.deepEqual(c.amqp.topics, ['notifications']);
    assert.equal(c.amqp.queue, 'openstack-notification-exporter');
    assert.equal(c.amqp.missingExchanges['nova']?.declare, false);
    assert.deepEqual(c.web.listenAddresses, [{ host: undefined, port: 9851 }]);
    assert.equal(c.web.telemetryPath, '/metrics');
    assert.equal(c.nova.notificationFormat, 'unversioned');
    assert.ok(Object.isFrozen(c));
  });

  test('picks topics from --nova.notification-format unless --amqp.topic is given', () => {
    assert.deepEqual(buildConfig({ 'nova.notification-format': 'both' }, {}).amqp.topics, ['notifications', 'versioned_notifications']);
    assert.deepEqual(buildConfig({ 'nova.notification-format': 'versioned' }, {}).amqp.topics, ['versioned_notifications']);
    assert.deepEqual(buildConfig({ 'amqp.topic': ['notifications_ceilo'] }, {}).amqp.topics, ['notifications_ceilo']);
  });

  test('reads every flag from its environment variable, flags winning', () => {
    const env = { AMQP_EXCHANGE: 'nova, cinder', AMQP_PREFETCH: '50', WEB_LISTEN_ADDRESS: '127.0.0.1:9999' };
    const c = buildConfig({ 'amqp.prefetch': '70' }, env);
    assert.deepEqual(c.amqp.exchanges, ['nova', 'cinder']);
    assert.equal(c.amqp.prefetch, 70);
    assert.deepEqual(c.web.listenAddresses, [{ host: '127.0.0.1', port: 9999 }]);
  });

  test('repeatable flags accumulate', () => {
    assert.deepEqual(buildConfig({ 'amqp.exchange': ['nova', 'neutron'] }, {}).amqp.exchanges, ['nova', 'neutron']);
  });

  test('shows settings with every password masked', () => {
    const c = buildConfig({ 'amqp.url': 'rabbit://nova:hunter2@ctl1,nova:hunter3@ctl2/nova' }, {});
    const shown = JSON.stringify(c.settings);
    assert.ok(!shown.includes('hunter2') && !shown.includes('hunter3'), shown);
    assert.equal(shownValue(c, 'amqp.url'), 'amqp://nova:***@ctl1:5672,nova:***@ctl2:5672/nova');
  });

  test('env names follow one rule', () => {
    assert.equal(envName('amqp.queue-max-length'), 'AMQP_QUEUE_MAX_LENGTH');
    assert.equal(envName('web.listen-address'), 'WEB_LISTEN_ADDRESS');
  });
});

// Nine aliases of nine aliases..., seven deep: 9^7 nodes from a few hundred bytes (line 6 passes 100,000).
const BILLION_LAUGHS = [
  'x-0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...Array.from({ length: 6 }, (_, i) => `x-${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`),
  'rules: []',
  '',
].join('\n');

describe('bad configuration fails with one line naming the setting', () => {
  const cases: [RawFlags, Record<string, string>, string][] = [
    [{ 'amqp.prefetch': 'abc' }, {}, 'invalid --amqp.prefetch: "abc" must be an integer from 1 to 65535'],
    [{ 'amqp.prefetch': '0' }, {}, 'invalid --amqp.prefetch: "0" must be an integer from 1 to 65535'],
    [{}, { AMQP_PREFETCH: '-1' }, 'invalid --amqp.prefetch (from AMQP_PREFETCH): "-1" must be an integer from 1 to 65535'],
    [{ 'nova.notification-format': 'json' }, {}, 'invalid --nova.notification-format: "json" must be one of unversioned, versioned, both'],
    [{ 'amqp.url': 'http://u:hunter2@h/' }, {}, 'invalid --amqp.url: scheme http:// is not supported: use amqp://, amqps:// or rabbit://'],
    [{ 'amqp.url': 'amqp://u:hunter2@h:0/' }, {}, 'invalid --amqp.url: port 0 is out of range'],
    [{ 'web.listen-address': '9851' }, {}, 'invalid --web.listen-address: "9851" must be [host]:port, e.g. :9851 or 127.0.0.1:9851'],
    [{ 'web.telemetry-path': 'metrics' }, {}, 'invalid --web.telemetry-path: "metrics" must be a path starting with /'],
    [
      { 'amqp.queue': 'notifications.info' },
      {},
      `invalid --amqp.queue: "notifications.info" must not be one of oslo's notifications.<priority> queues: consuming them steals Ceilometer's messages`,
    ],
    [{ 'amqp.queue': 'amq.gen-1' }, {}, 'invalid --amqp.queue: "amq.gen-1" must not start with amq. (reserved by RabbitMQ)'],
    [{ 'amqp.exchange': ['nova', 'no spaces'] }, {}, 'invalid --amqp.exchange: "nova,no spaces" must be 1-255 letters, digits, or . _ - :'],
    [{ 'amqp.exchange-durable': 'maybe' }, {}, 'invalid --amqp.exchange-durable: "maybe" must be true or false'],
    [{ 'amqp.queue-type': 'stream' }, {}, 'invalid --amqp.queue-type: "stream" must be one of classic, quorum'],
    [{ 'log.level': 'verbose' }, {}, 'invalid --log.level: "verbose" must be one of debug, info, warn, error'],
    [{ 'log.format': 'xml' }, {}, 'invalid --log.format: "xml" must be one of json, logfmt'],
    [{ 'metrics.max-hosts': '0' }, {}, 'invalid --metrics.max-hosts: "0" must be an integer from 1 to 1000000'],
    [
      { 'amqp.tls-ca-file': '/nonexistent/ca.pem' },
      {},
      'invalid --amqp.tls-ca-file: "/nonexistent/ca.pem" cannot be read (missing file or no permission)',
    ],
  ];
  for (const [cli, env, message] of cases) {
    test(message, () => {
      assert.throws(
        () => buildConfig(cli, env),
        (err: unknown) => err instanceof ConfigError && err.message === message,
      );
    });
  }

  test('the CLI exits 2 with that line and no password', async () => {
    const run = promisify(execFile);
    const err = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--amqp.prefetch=x'], {
      env: { ...process.env, AMQP_URL: 'ftp://a:hunter2@h' },
    }).then(
      () => assert.fail('should have exited non-zero'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.equal(
      err.stderr,
      'openstack-notification-exporter: invalid --amqp.url (from AMQP_URL): scheme ftp:// is not supported: use amqp://, amqps:// or rabbit://\n',
    );
  });

  test('a YAML alias bomb in the mapping file exits 2 naming the file and the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osne-bomb-'));
    try {
      const file = join(dir, 'bomb.yaml');
      writeFileSync(file, BILLION_LAUGHS);
      const err = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--mapping.config-file', file]).then(
        () => assert.fail('should have exited non-zero'),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(err.code, 2);
      assert.equal(
        err.stderr,
        `openstack-notification-exporter: invalid --mapping.config-file: mapping file ${file}: line 6: the aliases (*name) up to here stand for more than 100000 nodes: anchors nested in anchors expand exponentially\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the CLI exits 2 on an unknown flag', async () => {
    const run = promisify(execFile);
    const err = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--amqp.nope=1']).then(
      () => assert.fail('should have exited non-zero'),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.equal(err.stderr, 'openstack-notification-exporter: unknown flag --amqp.nope=1\n');
  });
});

test('docs/flags.md documents every flag with its environment variable, short form, default and commands, and no other', () => {
  const page = readFileSync(new URL('../../docs/flags.md', import.meta.url), 'utf8');
  const code = (cell: string): string => cell.replace(/^`(.*)`$/, '$1');
  const rows = new Map(
    page
      .split('\n')
      .filter((line) => line.startsWith('| `--'))
      .map((line) => line.split('|').map((c) => c.trim()))
      .map(([, flag = '', short = '', env = '', shown = '', commands = '']) => [code(flag).slice(2), { short, env, shown, commands }]),
  );
  assert.deepEqual([...rows.keys()].sort(), Object.keys(FLAGS).sort());
  for (const [name, spec] of Object.entries(FLAGS) as [string, FlagSpec][]) {
    const row = rows.get(name);
    const shown = Array.isArray(spec.default) ? spec.default.join(',') : (spec.default ?? '');
    assert.deepEqual(
      row,
      {
        short: spec.short ? `\`--${spec.short}\`` : '',
        env: `\`${envName(name)}\``,
        shown: shown === '' ? '' : `\`${shown}\``,
        commands: spec.commands.join(', '),
      },
      `--${name}`,
    );
  }
});

describe('the command line forgives and stays short', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args]).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  test('a mistyped flag or command is one line with the suggestion, exit 2', async () => {
    for (const [args, line] of [
      [['--amqp.prefech', '3'], 'unknown flag --amqp.prefech: did you mean --amqp.prefetch?'],
      [['tial'], 'unknown command tial: did you mean tail?'],
      [['tail', '--cout', '3'], 'unknown flag --cout: did you mean --count?'],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr, `openstack-notification-exporter: ${line}\n`);
    }
  });

  test('help speaks plainly: no library jargon, short forms shown', async () => {
    const r = await run(['check', '--help']);
    assert.doesNotMatch(r.stdout, /preset|\[bool\]/);
    assert.match(r.stdout, /--fix +Declare what is missing/);
    assert.match(r.stdout, /--wait-seconds <value>/);
  });
});

test('short forms and namespaced flags are the same setting, each with its source', () => {
  const short = buildConfig({ 'tail.count': '3', 'tail.priority': ['warning'] }, { TAIL_HOST: 'cmp-*' }, { command: 'tail' });
  assert.equal(short.tail.count, 3);
  assert.deepEqual(short.tail.priorities, ['WARN']);
  assert.deepEqual(short.tail.hosts, ['cmp-*']);
  const source = (flag: string) => short.settings.find((s) => s.flag === flag)?.source;
  assert.equal(source('tail.count'), 'flag');
  assert.equal(source('tail.host'), 'TAIL_HOST');
  assert.equal(source('tail.output'), 'default');
  // tail builds only its own configuration: serve's settings are not among its flags.
  assert.equal(
    short.settings.find((s) => s.flag === 'web.listen-address'),
    undefined,
  );
});
