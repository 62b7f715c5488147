import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeConnectError } from '../../src/amqp/errors.js';

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
