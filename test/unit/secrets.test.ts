import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { describeConnectError } from '../../src/amqp/errors.js';
import { hostLabel, parseBrokerUrl, redactedUrl } from '../../src/amqp/url.js';
import { landingPage } from '../../src/http/landing.js';
import { createLogger } from '../../src/log.js';
import { isSecretKey, redactSetting, redactUrlsIn } from '../../src/oslo/secrets.js';

/** A logger writing JSON lines into an array, as serve's writes them to stdout. */
function bufferedLogger(format: 'json' | 'logfmt' = 'json') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger({ level: 'debug', format, destination }), lines };
}

/** What the consumer and check log about a broker, for one URL: everything a password could reach. */
function logBrokerStory(url: string, format: 'json' | 'logfmt' = 'json'): string[] {
  const { log, lines } = bufferedLogger(format);
  const address = parseBrokerUrl(url);
  const host = address.hosts[0];
  assert.ok(host);
  log.info({ broker: hostLabel(host), vhost: address.vhost, queue: 'openstack-notification-exporter', exchange: 'nova' }, 'consuming');
  log.info({ url: redactedUrl(address) }, 'connecting to the broker');
  // A library error quoting the URL it was given, as a field, as the message, and as the Error itself.
  const quoted = new Error(`connect failed for ${url}: ECONNREFUSED`);
  log.error({ err: quoted, reason: quoted.message }, quoted.message);
  log.error(quoted);
  log.warn({ nested: { password: host.password, list: [{ _context_auth_token: 'gAAAA-tok-9d2c' }] } }, 'fields named like secrets');
  for (const err of [
    new Error(
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN"',
    ),
    new Error("Channel closed by server: 530 (NOT-ALLOWED) with message \"NOT_ALLOWED - access to vhost 'nova' refused for user 'nova'\""),
  ]) {
    log.error({ attempt: 1 }, describeConnectError(err, host, address.vhost).message);
  }
  return lines;
}

describe('only the password is masked', () => {
  test('user == password: the user name stays, the password is masked', () => {
    const lines = logBrokerStory('amqp://guest:guest@127.0.0.1:5672/');
    const all = lines.join('');
    assert.match(all, /"broker":"guest:\*\*\*@127\.0\.0\.1:5672"/);
    assert.match(all, /connect failed for amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672\/: ECONNREFUSED/);
    assert.match(all, /refused the login of user \\"guest\\"/);
    assert.ok(!all.includes('***:***'), all);
    assert.ok(!all.includes('guest:guest'), all);
  });

  test('a password equal to the exchange name: the exchange and the copy-pasteable hint read as themselves', () => {
    const lines = logBrokerStory('rabbit://nova:nova@ctl1:5672/nova');
    const all = lines.join('');
    assert.match(all, /"exchange":"nova"/);
    assert.match(all, /"vhost":"nova"/);
    assert.match(all, /rabbitmqctl set_permissions -p nova nova \\"\.\*\\" \\"\.\*\\" \\"\.\*\\"/);
    assert.match(all, /connect failed for rabbit:\/\/nova:\*\*\*@ctl1:5672\/nova/);
    assert.ok(!all.includes('nova:nova'), all);
  });

  test('a password that is a common word: the words of the log stay', () => {
    for (const format of ['json', 'logfmt'] as const) {
      const lines = logBrokerStory('amqp://monitor:consuming@ctl1/', format);
      const all = lines.join('');
      assert.match(all, format === 'json' ? /"msg":"consuming"/ : /msg=consuming/);
      assert.match(all, /monitor:\*\*\*@ctl1:5672/);
      assert.ok(!all.includes(':consuming@'), all);
    }
  });

  test('the password appears in no line, whatever carried it', () => {
    const password = 'Pw-3e1b-never-print';
    const lines = logBrokerStory(`amqp://nova:${password}@ctl1:5672,nova:${password}@ctl2:5672/nova`);
    assert.equal(lines.length, 7);
    for (const line of lines) {
      assert.ok(!line.includes(password), line);
      assert.ok(!line.includes('gAAAA-tok-9d2c'), line);
      assert.equal(line.trim().split('\n').length, 1, 'one line, no stack');
      JSON.parse(line);
    }
  });
});

describe('redactUrlsIn', () => {
  const table: [string, string][] = [
    ['failed: amqp://nova:hunter2@ctl1:5672/ and rabbit://a:b@c', 'failed: amqp://nova:***@ctl1:5672/ and rabbit://a:***@c'],
    ['rabbit://nova:pw1@ctl1:5672,nova:pw2@ctl2:5672/nova?ssl=1', 'rabbit://nova:***@ctl1:5672,nova:***@ctl2:5672/nova?ssl=1'],
    // As parseBrokerUrl reads them: a password may hold '@', ':' and '/' unencoded.
    ['amqp://nova:p@ss:w/rd@ctl1:5672/vh', 'amqp://nova:***@ctl1:5672/vh'],
    ['"amqp://guest:guest@127.0.0.1:5672/"', '"amqp://guest:***@127.0.0.1:5672/"'],
    ['amqp://guest@ctl1/ has no password', 'amqp://guest@ctl1/ has no password'],
    ['http://ctl1:15672/api and guest:guest without a scheme', 'http://ctl1:15672/api and guest:guest without a scheme'],
  ];
  for (const [text, expected] of table) {
    test(text, () => assert.equal(redactUrlsIn(text), expected));
  }
});

describe('one definition of a secret key', () => {
  test('oslo context keys, fields and flag names follow the same rule', () => {
    for (const key of [
      '_context_auth_token',
      '_context_service_catalog',
      'password',
      'db_password',
      'amqp.password',
      'web.auth-token',
      'secret',
    ])
      assert.ok(isSecretKey(key), key);
    for (const key of ['_context_request_id', '_context_user_id', 'token_type', 'amqp.url', 'amqp.exchange', 'passwordless_login'])
      assert.ok(!isSecretKey(key), key);
  });

  test('the landing page masks a setting by its name and the password in a URL value', () => {
    const page = landingPage({
      version: '1',
      telemetryPath: '/metrics',
      broker: { state: 'consuming', ready: true, problem: undefined, awaitingExchanges: [], queueType: 'classic' },
      exchanges: ['nova'],
      topics: ['notifications'],
      queue: 'q',
      settings: [
        { flag: 'amqp.url', value: 'amqp://nova:nova@ctl1:5672/nova', source: 'flag' },
        { flag: 'amqp.exchange', value: 'nova', source: 'default' },
        { flag: 'web.auth-password' as never, value: 'hunter2', source: 'flag' },
      ],
    });
    assert.match(page, /amqp:\/\/nova:\*\*\*@ctl1:5672\/nova/);
    assert.match(page, /<td><code>nova<\/code><\/td>/);
    assert.ok(!page.includes('hunter2') && !page.includes('nova:nova'));
    assert.equal(redactSetting('amqp.exchange', 'nova'), 'nova');
  });
});
