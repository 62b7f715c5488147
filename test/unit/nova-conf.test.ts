import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { NovaConfError, parseIni, readNovaConf, type NovaNotificationSettings } from '../../src/nova/conf.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/nova-conf/${name}`, import.meta.url), 'utf8');

// No [oslo_messaging_rabbit] settings: oslo declares the exchange transient, not auto-deleted.
const OSLO_DEFAULT_EXCHANGE = { durable: false, autoDelete: false, because: "oslo's default amqp_durable_queues = false" };

const readCases: { name: string; fixture: string; expected: NovaNotificationSettings }[] = [
  {
    name: 'takes transport_url from [oslo_messaging_notifications] before [DEFAULT] (devstack, two hosts and a vhost)',
    fixture: 'devstack.conf',
    expected: {
      transportUrl: 'rabbit://stackrabbit:secretrabbit@10.0.0.10:5672,stackrabbit:secretrabbit@10.0.0.11:5672/notifications',
      topics: undefined,
      versionedTopics: undefined,
      driver: ['messagingv2'],
      notificationFormat: 'both',
      controlExchange: undefined,
      notifyOnStateChange: 'vm_and_task_state',
      sendsNotifications: true,
      exchange: OSLO_DEFAULT_EXCHANGE,
    },
  },
  {
    name: 'reads the deprecated [DEFAULT] notification_driver, notification_topics and Nova options (Mitaka)',
    fixture: 'mitaka.conf',
    expected: {
      transportUrl: undefined,
      topics: ['notifications', 'monitor'],
      versionedTopics: undefined,
      driver: ['messaging'],
      notificationFormat: 'unversioned',
      controlExchange: 'nova',
      notifyOnStateChange: 'vm_state',
      sendsNotifications: true,
      exchange: OSLO_DEFAULT_EXCHANGE,
    },
  },
  {
    name: 'reports no notifications when the only driver is noop, and falls back to the RPC transport_url',
    fixture: 'noop.conf',
    expected: {
      transportUrl: 'rabbit://nova:nova-secret@rabbit.internal:5672/nova',
      topics: undefined,
      versionedTopics: undefined,
      driver: ['noop'],
      notificationFormat: 'unversioned',
      controlExchange: undefined,
      notifyOnStateChange: undefined,
      sendsNotifications: false,
      exchange: OSLO_DEFAULT_EXCHANGE,
    },
  },
  {
    name: 'substitutes $name, ${name}, ${group.name}, $$ and \\$ like oslo.config',
    fixture: 'interpolation.conf',
    expected: {
      transportUrl: 'rabbit://nova:pa$ss$word@ctl:5672/',
      topics: ['region1_notifications', 'audit'],
      versionedTopics: undefined,
      driver: ['messagingv2'],
      notificationFormat: 'versioned',
      controlExchange: 'nova_cell1',
      notifyOnStateChange: 'vm_state',
      sendsNotifications: true,
      exchange: OSLO_DEFAULT_EXCHANGE,
    },
  },
  {
    name: 'merges repeated sections case-insensitively, keeps every driver and the last single value',
    fixture: 'repeated.conf',
    expected: {
      transportUrl: 'rabbit://nova:pw@rabbit1:5672/',
      topics: ['notifications', 'searchlight_indexer'],
      versionedTopics: undefined,
      driver: ['routing', 'messagingv2', 'log'],
      notificationFormat: 'versioned',
      controlExchange: 'nova_cell1',
      notifyOnStateChange: undefined,
      sendsNotifications: true,
      exchange: OSLO_DEFAULT_EXCHANGE,
    },
  },
  {
    name: 'reads [notifications] versioned_notifications_topics beside the oslo topics',
    fixture: 'versioned-topics.conf',
    expected: {
      transportUrl: 'rabbit://nova:secret@ctl:5672/',
      topics: ['notifications_legacy'],
      versionedTopics: ['versioned_notifications', 'searchlight_versioned'],
      driver: ['messagingv2'],
      notificationFormat: 'both',
      controlExchange: 'compute',
      notifyOnStateChange: undefined,
      sendsNotifications: true,
      exchange: OSLO_DEFAULT_EXCHANGE,
    },
  },
];

for (const c of readCases) {
  test(`${c.name} [${c.fixture}]`, () => {
    assert.deepEqual(readNovaConf(fixture(c.fixture)), c.expected);
  });
}

const exchangeCases: { name: string; text: string; expected: { durable: boolean; autoDelete: boolean; because: string } }[] = [
  {
    name: 'amqp_durable_queues = True makes the exchange durable',
    text: '[oslo_messaging_rabbit]\namqp_durable_queues = True\n',
    expected: { durable: true, autoDelete: false, because: '[oslo_messaging_rabbit] amqp_durable_queues = True' },
  },
  {
    name: 'rabbit_quorum_queue = true makes it durable even with amqp_durable_queues false (oslo ignores the latter then)',
    text: '[oslo_messaging_rabbit]\namqp_durable_queues = false\nrabbit_quorum_queue = true\n',
    expected: { durable: true, autoDelete: false, because: '[oslo_messaging_rabbit] rabbit_quorum_queue = true' },
  },
  {
    name: 'amqp_durable_queues = false, said explicitly, is transient and named as the reason',
    text: '[oslo_messaging_rabbit]\namqp_durable_queues = off\n',
    expected: { durable: false, autoDelete: false, because: '[oslo_messaging_rabbit] amqp_durable_queues = off' },
  },
  {
    name: "the transport_url's query wins over the file, as oslo's ConfigOptsProxy does",
    text: '[DEFAULT]\ntransport_url = rabbit://n:p@ctl:5672/?amqp_durable_queues=true\n[oslo_messaging_rabbit]\namqp_durable_queues = false\n',
    expected: { durable: true, autoDelete: false, because: 'transport_url ?amqp_durable_queues=true' },
  },
  {
    name: 'amqp_auto_delete, also read from its deprecated [DEFAULT] place, makes it auto-delete',
    text: '[DEFAULT]\namqp_auto_delete = yes\n',
    expected: { durable: false, autoDelete: true, because: "oslo's default amqp_durable_queues = false, [DEFAULT] amqp_auto_delete = yes" },
  },
  {
    name: "amqp_durable_queues in [DEFAULT] is not where oslo 14 reads it: oslo's default stands",
    text: '[DEFAULT]\namqp_durable_queues = true\n',
    expected: OSLO_DEFAULT_EXCHANGE,
  },
];

for (const c of exchangeCases) {
  test(`exchange declaration: ${c.name}`, () => {
    assert.deepEqual(readNovaConf(c.text).exchange, c.expected);
  });
}

test('a durability oslo.config would refuse is an error naming the line', () => {
  assert.throws(
    () => readNovaConf('[oslo_messaging_rabbit]\namqp_durable_queues = maybe\n', 'nova.conf'),
    (err: unknown) =>
      err instanceof NovaConfError &&
      err.message === 'nova.conf:2: [oslo_messaging_rabbit] amqp_durable_queues must be true or false, got "maybe"',
  );
});

test('parseIni groups every value per key in file order, normalising group names but not keys', () => {
  assert.deepEqual(
    parseIni(fixture('repeated.conf')),
    new Map([
      [
        'DEFAULT',
        new Map([
          ['transport_url', ['rabbit://nova:pw@rabbit1:5672/']],
          ['control_exchange', ['nova', 'nova_cell1']],
          ['notification_driver', ['routing']],
        ]),
      ],
      [
        'oslo_messaging_notifications',
        new Map([
          ['driver', ['messagingv2', 'log']],
          ['topics', ['notifications', 'notifications,\nsearchlight_indexer,']],
          ['transport_url', ['']],
        ]),
      ],
      ['notifications', new Map([['notification_format', ['versioned']]])],
    ]),
  );
});

const iniCases: { name: string; text: string; group: string; key: string; values: string[] | undefined }[] = [
  {
    name: 'accepts "key: value" and splits on whichever of = and : comes first',
    text: '[d]\nurl: a=b\n',
    group: 'd',
    key: 'url',
    values: ['a=b'],
  },
  { name: 'splits on = when it comes before :', text: '[d]\nk = x:y\n', group: 'd', key: 'k', values: ['x:y'] },
  {
    name: 'keeps an inline "#" comment as part of the value',
    text: '[d]\ndriver = log # debug only\n',
    group: 'd',
    key: 'driver',
    values: ['log # debug only'],
  },
  {
    name: 'strips exactly one pair of matching surrounding quotes',
    text: `[d]\na = "x"\na = 'y"\na = ""z""\n`,
    group: 'd',
    key: 'a',
    values: ['x', `'y"`, '"z"'],
  },
  {
    name: 'appends indented lines, even comment-like ones, to the value with a newline',
    text: '[d]\na = 1\n  # 2\n\t[3]\n',
    group: 'd',
    key: 'a',
    values: ['1\n# 2\n[3]'],
  },
  { name: 'ends a continued value at a whitespace-only line', text: '[d]\na = 1\n   \nb = 2\n', group: 'd', key: 'a', values: ['1'] },
  { name: 'handles CRLF line endings', text: '[d]\r\na = 1\r\n  2\r\n', group: 'd', key: 'a', values: ['1\n2'] },
  {
    name: 'treats [default] as a group of its own, not DEFAULT',
    text: '[default]\na = 1\n',
    group: 'DEFAULT',
    key: 'a',
    values: undefined,
  },
  { name: 'keys are case-sensitive', text: '[d]\nDriver = log\n', group: 'd', key: 'driver', values: undefined },
];

for (const c of iniCases) {
  test(c.name, () => {
    assert.deepEqual(parseIni(c.text).get(c.group)?.get(c.key), c.values);
  });
}

const errorCases: { name: string; text: string; message: RegExp }[] = [
  {
    name: 'rejects a line without = or :',
    text: '[DEFAULT]\ndebug\n',
    message: /^nova\.conf:2: no ':' or '=' found in assignment: "debug"$/,
  },
  { name: 'rejects a comment after a section header', text: '[DEFAULT] # main\n', message: /^nova\.conf:1: invalid section/ },
  { name: 'rejects an empty section name', text: '[]\n', message: /^nova\.conf:1: empty section name/ },
  {
    name: 'rejects an indented line after a blank line',
    text: '[DEFAULT]\na = 1\n\n  b\n',
    message: /^nova\.conf:4: unexpected continuation line: " {2}b"$/,
  },
  {
    name: 'rejects an assignment before any section',
    text: '# x\ndebug = true\n',
    message: /^nova\.conf:2: section must be started before assignment/,
  },
  { name: 'rejects an empty key', text: '[DEFAULT]\n= 1\n', message: /^nova\.conf:2: key cannot be empty/ },
];

for (const c of errorCases) {
  test(c.name, () => {
    assert.throws(
      () => parseIni(c.text),
      (err: unknown) => err instanceof NovaConfError && c.message.test(err.message),
    );
  });
}

test('rejects a notification_format outside unversioned/versioned/both, naming file and line', () => {
  assert.throws(
    () => readNovaConf(fixture('bad-format.conf'), '/etc/nova/nova.conf'),
    new NovaConfError('/etc/nova/nova.conf:8: [notifications] notification_format must be one of unversioned, versioned, both, got "Both"'),
  );
});

test('names an undefined interpolation reference', () => {
  assert.throws(
    () => readNovaConf('[DEFAULT]\ntransport_url = rabbit://$rabbit_user@ctl/\n'),
    new NovaConfError('nova.conf:2: [DEFAULT] refers to undefined option $rabbit_user'),
  );
});

test('stops a reference loop instead of recursing forever', () => {
  assert.throws(() => readNovaConf('[DEFAULT]\na = $b\nb = ${a}\ncontrol_exchange = $a\n'), /nests deeper than 16 \(reference loop\?\)/);
});

test('leaves a "$" that starts no placeholder untouched', () => {
  assert.equal(readNovaConf('[DEFAULT]\ncontrol_exchange = a$ $1 ${x\n').controlExchange, 'a$ $1 ${x');
});

test('does not split a driver value on commas, as MultiStrOpt takes each assignment whole', () => {
  assert.deepEqual(readNovaConf('[oslo_messaging_notifications]\ndriver = messagingv2,log\n').driver, ['messagingv2,log']);
});

test('sends no notifications when no driver is configured, or every driver is noop, empty or none', () => {
  for (const text of ['[DEFAULT]\n', '[oslo_messaging_notifications]\ndriver = noop\ndriver =\ndriver = none\n']) {
    assert.equal(readNovaConf(text).sendsNotifications, false, text);
  }
});

test('treats an empty topics value as an empty list, not the default', () => {
  assert.deepEqual(readNovaConf('[oslo_messaging_notifications]\ntopics =\n').topics, []);
});
