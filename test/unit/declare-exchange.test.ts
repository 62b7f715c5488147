import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildConfig, ConfigError, type RawFlags } from '../../src/config/config.js';
import { awaitingReason, blockingExchanges, type MissingExchange } from '../../src/amqp/topology.js';

/**
 * Whether the exporter may declare a service's exchange that does not exist yet, and how:
 * never guessed, because an exchange declared with other flags than the service's own
 * declaration makes the service fail (406) and send nothing.
 */

const NOVA_CONF = '/etc/nova/nova.conf';
const durableNova = '[DEFAULT]\ntransport_url = rabbit://nova:pw@ctl:5672/\n[oslo_messaging_rabbit]\namqp_durable_queues = True\n';
const quorumNova = '[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\n';
const plainNova = '[DEFAULT]\ntransport_url = rabbit://nova:pw@ctl:5672/\n';

function rules(
  cli: RawFlags,
  env: Record<string, string> = {},
  novaConf?: string,
  command: 'serve' | 'tail' | 'check' = 'serve',
): Readonly<Record<string, MissingExchange>> {
  const flags = novaConf === undefined ? cli : { ...cli, 'nova.config-file': NOVA_CONF };
  return buildConfig(flags, env, { command, readFile: () => novaConf ?? '' }).amqp.missingExchanges;
}

describe('declaring a missing service exchange', () => {
  test('by default the exporter waits for Nova, and says what to set', () => {
    const r = rules({});
    assert.deepEqual(Object.keys(r), ['nova']);
    assert.equal(r['nova']?.declare, false);
    assert.equal(
      awaitingReason({ missingExchanges: r }, 'nova'),
      'exchange nova does not exist yet: waiting for nova to declare it, then the queue is bound to it; to declare it now, ' +
        "give --nova.config-file, or set --amqp.declare-exchange durable or transient as nova.conf's [oslo_messaging_rabbit] " +
        'amqp_durable_queues says (durable also when rabbit_quorum_queue = true)',
    );
  });

  test("every --openstack.services exchange is waited for by default, each naming its service's configuration", () => {
    const r = rules({ 'openstack.services': ['nova,cinder,neutron'] }, {}, undefined, 'tail');
    assert.deepEqual(Object.keys(r).sort(), ['cinder', 'neutron', 'nova', 'openstack']);
    assert.ok(Object.values(r).every((x) => !x.declare));
    assert.match(
      awaitingReason({ missingExchanges: r }, 'cinder'),
      /waiting for cinder to declare it.* as cinder's \[oslo_messaging_rabbit\]/,
    );
  });

  test("nova.conf's amqp_durable_queues = True declares Nova's exchange durable, and only Nova's", () => {
    const r = rules({ 'openstack.services': ['nova,cinder'] }, {}, durableNova);
    assert.deepEqual(r['nova'], {
      service: 'nova',
      declare: true,
      durable: true,
      autoDelete: false,
      source: `${NOVA_CONF} ([oslo_messaging_rabbit] amqp_durable_queues = True)`,
    });
    assert.equal(r['cinder']?.declare, false);
  });

  test("nova.conf's rabbit_quorum_queue = true declares it durable; no [oslo_messaging_rabbit] at all is oslo's transient", () => {
    assert.equal((rules({}, {}, quorumNova, 'check')['nova'] as { durable: boolean }).durable, true);
    assert.deepEqual(rules({}, {}, plainNova)['nova'], {
      service: 'nova',
      declare: true,
      durable: false,
      autoDelete: false,
      source: `${NOVA_CONF} (oslo's default amqp_durable_queues = false)`,
    });
  });

  test('--amqp.declare-exchange durable or its variable covers every exchange; wait overrides nova.conf', () => {
    const flagged = rules({ 'amqp.declare-exchange': 'durable', 'openstack.services': ['nova,heat'] });
    assert.deepEqual(flagged['heat'], {
      service: 'heat',
      declare: true,
      durable: true,
      autoDelete: false,
      source: '--amqp.declare-exchange durable',
    });
    assert.deepEqual(rules({}, { AMQP_DECLARE_EXCHANGE: 'transient' })['nova'], {
      service: 'nova',
      declare: true,
      durable: false,
      autoDelete: false,
      source: 'AMQP_DECLARE_EXCHANGE=transient',
    });
    assert.equal(rules({ 'amqp.declare-exchange': 'wait' }, {}, durableNova)['nova']?.declare, false);
  });

  test('the deprecated --amqp.exchange-durable still works, with one notice; contradicting the new flag is an error', () => {
    const c = buildConfig({ 'amqp.exchange-durable': 'true' }, {});
    assert.deepEqual(c.amqp.missingExchanges['nova'], {
      service: 'nova',
      declare: true,
      durable: true,
      autoDelete: false,
      source: '--amqp.exchange-durable true',
    });
    assert.deepEqual(c.notices, ['--amqp.exchange-durable is deprecated: use --amqp.declare-exchange durable or transient']);
    assert.deepEqual(buildConfig({}, {}).notices, []);
    assert.throws(
      () => buildConfig({ 'amqp.exchange-durable': 'false', 'amqp.declare-exchange': 'durable' }, {}),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message === 'invalid --amqp.exchange-durable: it contradicts --amqp.declare-exchange durable; drop the deprecated flag',
    );
  });

  test('a value that is not wait, durable or transient fails at start naming the flag', () => {
    assert.throws(
      () => buildConfig({ 'amqp.declare-exchange': 'yes' }, {}),
      (err: unknown) =>
        err instanceof ConfigError && err.message === 'invalid --amqp.declare-exchange: "yes" must be one of wait, durable, transient',
    );
  });
});

test("readiness waits for a service none of whose exchanges is bound, not for cinder's unused one", () => {
  const spec = buildConfig({ 'openstack.services': ['nova,cinder'] }, {}).amqp;
  assert.deepEqual(blockingExchanges(spec, ['nova', 'openstack']), ['nova']);
  assert.deepEqual(blockingExchanges(spec, ['cinder', 'openstack']), ['cinder', 'openstack']);
  assert.deepEqual(blockingExchanges(spec, []), []);
});
