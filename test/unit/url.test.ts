import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBrokerUrl, redactedUrl, redactUrlsIn, UrlError } from '../../src/amqp/url.js';

describe('parseBrokerUrl', () => {
  test('reads the default amqp URL with vhost /', () => {
    assert.deepEqual(parseBrokerUrl('amqp://guest:guest@127.0.0.1:5672/'), {
      tls: false,
      vhost: '/',
      hosts: [{ hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' }],
    });
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

test('redactUrlsIn masks the password of every host of an oslo transport_url', () => {
  assert.equal(
    redactUrlsIn('url rabbit://nova:pw1@ctl1:5672,nova:pw2@ctl2:5672/nova ok'),
    'url rabbit://nova:***@ctl1:5672,nova:***@ctl2:5672/nova ok',
  );
});
