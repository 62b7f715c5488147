import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAllHostsFailed, describeConnectError } from '../../src/amqp/errors.js';
import { shellWord } from '../../src/amqp/shell-word.js';

const host = { hostname: 'ctl1', port: 5672, username: 'nova', password: 'hunter2' };
const err = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

test('connection errors read as one line naming the problem, never the password', () => {
  const cases: [Error, string, boolean][] = [
    [
      err(
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."',
      ),
      'broker ctl1:5672 refused the login of user "nova": check the user and password in --amqp.url',
      true,
    ],
    [
      err('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'),
      'broker ctl1:5672 refused vhost "nova" to user "nova": the vhost does not exist (rabbitmqctl list_vhosts) or the user has no access to it (rabbitmqctl set_permissions -p nova nova ".*" ".*" ".*")',
      true,
    ],
    [err('connect ECONNREFUSED 10.0.0.1:5672', 'ECONNREFUSED'), 'nothing listens on ctl1:5672 (is RabbitMQ running?)', false],
    [err('getaddrinfo ENOTFOUND ctl1', 'ENOTFOUND'), 'cannot resolve host ctl1', false],
    [err('connect ETIMEDOUT'), 'no answer from ctl1:5672 in time', false],
    [
      err('odd failure for amqp://nova:hunter2@ctl1/'),
      'cannot connect to nova:***@ctl1:5672: odd failure for amqp://nova:***@ctl1/',
      false,
    ],
  ];
  for (const [error, message, permanent] of cases) {
    const problem = describeConnectError(error, host, 'nova');
    assert.deepEqual(problem, { message, permanent });
    assert.ok(!problem.message.includes('hunter2'));
    assert.ok(!problem.message.includes('\n'));
  }
});

test('TLS mistakes read as their likely cause, not as OpenSSL internals', () => {
  const tls = (port: number) => ({ ...host, port });
  const wrongVersion = Object.assign(
    new Error(
      '803C6B8E387F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n',
    ),
    { code: 'ERR_SSL_WRONG_VERSION_NUMBER' },
  );
  const cases: [Error, number, boolean, string, boolean][] = [
    [wrongVersion, 5672, true, 'ctl1:5672 did not answer with TLS: the TLS port is usually 5671', true],
    [wrongVersion, 5671, true, 'ctl1:5671 did not answer with TLS: is a TLS listener (listeners.ssl) configured on that port?', true],
    [
      err('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'),
      5671,
      true,
      'ctl1:5671 sent a certificate this host does not trust (SELF_SIGNED_CERT_IN_CHAIN): give its CA with --amqp.tls-ca-file',
      true,
    ],
    [
      err('Socket closed abruptly during opening handshake'),
      5671,
      false,
      'ctl1:5671 closed the connection during the handshake: port 5671 is usually TLS, use amqps://',
      false,
    ],
    // Without TLS, OpenSSL's text is just text: one line of it.
    [wrongVersion, 5672, false, `cannot connect to nova:***@ctl1:5672: ${wrongVersion.message.trim()}`, false],
  ];
  for (const [error, port, useTls, message, permanent] of cases) {
    assert.deepEqual(describeConnectError(error, tls(port), 'nova', useTls), { message, permanent });
  }
});

test('when every host fails, each one is named with its own reason', () => {
  const refused = { message: 'nothing listens on ctl1:5672 (is RabbitMQ running?)', permanent: false };
  const login = {
    message: 'broker ctl2:5672 refused the login of user "nova": check the user and password in --amqp.url',
    permanent: true,
  };
  assert.deepEqual(describeAllHostsFailed([login]), login);
  assert.deepEqual(describeAllHostsFailed([refused, login]), {
    message: `all 2 broker hosts failed: ${refused.message}; ${login.message}`,
    permanent: false,
  });
  assert.equal(describeAllHostsFailed([login, login]).permanent, true);
});

test('the commands in hints stay copy-pasteable: odd names are quoted as one shell word, plain ones left alone', () => {
  const odd = { ...host, username: "o'brien" };
  const problem = describeConnectError(err('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'), odd, 'my vhost');
  assert.match(problem.message, /\(rabbitmqctl set_permissions -p 'my vhost' 'o'\\''brien' "\.\*" "\.\*" "\.\*"\)$/);
  assert.equal(shellWord('nova'), 'nova');
  assert.equal(shellWord('/'), '/');
  assert.equal(shellWord('a$b'), `'a$b'`);
});
