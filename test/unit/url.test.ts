import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { parseBrokerUrl, redactedUrl, UrlError } from '../../src/amqp/url.js';
import { redactUrlsIn } from '../../src/oslo/secrets.js';

describe('parseBrokerUrl', () => {
  test('reads the default amqp URL with vhost /', () => {
    const a = parseBrokerUrl('amqp://guest:guest@127.0.0.1:5672/');
    assert.deepEqual(a, { tls: false, vhost: '/', hosts: [{ hostname: '127.0.0.1', port: 5672, username: 'guest' }] });
    assert.equal(a.hosts[0]?.password, 'guest');
  });

  test('keeps the password out of anything that serializes or inspects a host', () => {
    const a = parseBrokerUrl('amqp://nova:Pw-0f3e@ctl1:5672/');
    assert.equal(a.hosts[0]?.password, 'Pw-0f3e');
    for (const shown of [
      JSON.stringify(a),
      inspect(a, { depth: 5 }),
      JSON.stringify({ ...a.hosts[0] }),
      String(Object.keys(a.hosts[0] ?? {})),
    ]) {
      assert.ok(!shown.includes('Pw-0f3e'), shown);
    }
  });

  test('refuses unencoded white space in the credentials, which would end the URL for redaction', () => {
    assert.throws(
      () => parseBrokerUrl('amqp://nova:two words@ctl1/'),
      (err: Error) => {
        assert.ok(err instanceof UrlError);
        assert.equal(err.message, 'user or password contains white space: percent-encode it (%20)');
        return true;
      },
    );
    assert.equal(parseBrokerUrl('amqp://nova:two%20words@ctl1/').hosts[0]?.password, 'two words');
  });

  test("reads oslo's transport_url with several hosts in failover order and a vhost", () => {
    const a = parseBrokerUrl('rabbit://nova:s3cr%2Ft@ctl1:5672,nova:other@ctl2:5673/openstack');
    assert.equal(a.vhost, 'openstack');
    assert.deepEqual(
      a.hosts.map((h) => [h.hostname, h.port, h.username, h.password]),
      [
        ['ctl1', 5672, 'nova', 's3cr/t'],
        ['ctl2', 5673, 'nova', 'other'],
      ],
    );
  });

  test('switches to TLS for amqps and for oslo ?ssl=1, defaulting to port 5671', () => {
    assert.equal(parseBrokerUrl('amqps://u:p@h/').hosts[0]?.port, 5671);
    const r = parseBrokerUrl('rabbit://u:p@h/?ssl=1');
    assert.equal(r.tls, true);
    assert.equal(r.hosts[0]?.port, 5671);
  });

  test('reads %2F as the / vhost and IPv6 literals', () => {
    const r = parseBrokerUrl('amqp://u:p@[::1]:5672/%2F');
    assert.equal(r.vhost, '/');
    assert.equal(r.hosts[0]?.hostname, '::1');
  });

  const bad: [string, string][] = [
    ['localhost:5672', 'not a URL: expected amqp://, amqps:// or rabbit://'],
    ['http://h/', 'scheme http:// is not supported: use amqp://, amqps:// or rabbit://'],
    ['amqp:///', 'no host given'],
    ['amqp://u:p@h:99999/', 'port 99999 is out of range'],
    ['amqp://u:%zz@h/', 'password is not valid percent-encoding'],
    // The ',' in a password splits the host list: refused without quoting either half.
    [
      'amqp://nova:Xq7,Zr9@h/',
      "host 1 of 2 has no user:password@ but another has: a ',' in a user or password must be percent-encoded (%2C)",
    ],
    [
      'rabbit://nova:pw1@c1,nova:Xq7,Zr9@c2/nova',
      "host 2 of 3 has no user:password@ but another has: a ',' in a user or password must be percent-encoded (%2C)",
    ],
  ];
  for (const [url, message] of bad) {
    test(`rejects ${url} with "${message}"`, () => {
      assert.throws(
        () => parseBrokerUrl(url),
        (err: unknown) => err instanceof UrlError && err.message === message,
      );
    });
  }
});

test('a password may hold an unencoded ? # / or @: it runs to the last @, not to the query or vhost', () => {
  for (const password of ['Xq7?Zr9', 'Xq7#Zr9', 'Xq7/Zr9', 'Xq7@Zr9', 'a?b/c#d@e']) {
    const a = parseBrokerUrl(`amqp://nova:${password}@ctl1:5673/vh?ssl=1`);
    assert.deepEqual(
      a.hosts.map((h) => [h.hostname, h.port, h.username, h.password]),
      [['ctl1', 5673, 'nova', password]],
    );
    assert.equal(a.vhost, 'vh');
    assert.equal(a.tls, true);
  }
});

describe('redaction', () => {
  test('redactedUrl shows every host but no password', () => {
    const shown = redactedUrl(parseBrokerUrl('rabbit://nova:hunter2@ctl1:5672,nova:hunter3@ctl2/nova'));
    assert.equal(shown, 'amqp://nova:***@ctl1:5672,nova:***@ctl2:5672/nova');
  });

  test('redactUrlsIn masks passwords inside free text', () => {
    assert.equal(
      redactUrlsIn('failed: amqp://nova:hunter2@ctl1:5672/ and rabbit://a:b@c'),
      'failed: amqp://nova:***@ctl1:5672/ and rabbit://a:***@c',
    );
  });
});

test('redactUrlsIn masks a password holding ? , # / or @ whole', () => {
  for (const mark of ['?', '#', '/', '@']) {
    assert.equal(
      redactUrlsIn(`failed: rabbit://nova:Xq7${mark}Zr9@ctl1:5672,u:p${mark}w@ctl2/nova?ssl=1 (x)`),
      'failed: rabbit://nova:***@ctl1:5672,u:***@ctl2/nova?ssl=1 (x)',
      mark,
    );
  }
  // A ',' splits the host list where it stands: from the first ':' to the last '@' is masked, hosts between included.
  for (const mark of [',', '@,', ',@']) {
    assert.equal(
      redactUrlsIn(`failed: rabbit://nova:Xq7${mark}Zr9@ctl1:5672,u:p${mark}w@ctl2/nova?ssl=1 (x)`),
      'failed: rabbit://nova:***@ctl2/nova?ssl=1 (x)',
      mark,
    );
    assert.equal(redactUrlsIn(`amqp://nova:Xq7${mark}Zr9@ctl1/`), 'amqp://nova:***@ctl1/', mark);
  }
});

test('redactUrlsIn masks the password of every host of an oslo transport_url', () => {
  assert.equal(
    redactUrlsIn('url rabbit://nova:pw1@ctl1:5672,nova:pw2@ctl2:5672/nova ok'),
    'url rabbit://nova:***@ctl1:5672,nova:***@ctl2:5672/nova ok',
  );
});
