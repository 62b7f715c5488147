import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startCli, type CliRun } from '../support/cli.js';
import { lifecycle, readFixture } from '../support/fixtures.js';
import { suiteVhost, listQueues } from '../support/vhost.js';

const TOKEN = 'gAAAAABfixtureTOKENnotreal0123456789';
const READY = /tailing notifications/;

/** `tail` against the real broker, in a vhost of its own; each test starts its own tail. */
describe('tail', () => {
  const suite = suiteVhost();
  let exchange: string;

  before(async () => {
    exchange = await suite.broker.exchange('nova');
  });

  /** Starts tail, waits until its queue is bound, then publishes the messages. */
  async function tailWhilePublishing(args: string[], publish: () => void): Promise<CliRun> {
    const run = startCli(['tail', '--amqp.url', suite.vhost.url, '--amqp.exchange', exchange, ...args]);
    await run.waitFor('stderr', READY);
    publish();
    return run;
  }

  test('prints one readable line per notification and stops by itself after --tail.count', async () => {
    const messages = lifecycle();
    const run = await tailWhilePublishing(['--tail.count', String(messages.length)], () =>
      messages.forEach((m) => suite.broker.publishOslo(exchange, m)),
    );
    assert.equal(await run.exited, 0);
    const lines = run.stdout().trimEnd().split('\n');
    assert.equal(lines.length, messages.length);
    assert.equal(
      lines[3],
      '2026-11-25T09:58:41.500Z INFO  compute.instance.update host=cmp-03.example.org instance=3f2b9c1e-7d4a-4b8e-9c2f-1a2b3c4d5e6f state=building→active task=spawning→none',
    );
    assert.equal(
      lines[11],
      '2026-11-25T10:30:05.000Z ERROR compute.instance.create.error host=cmp-11.example.org instance=7c6b5a49-3827-4165-9a8b-7c6d5e4f3a2b error=BuildAbortException',
    );
    assert.ok(!run.stdout().includes(TOKEN) && !run.stderr().includes(TOKEN));
    assert.ok(!run.stderr().includes('guest:guest'), run.stderr());
  });

  test('--tail.output json prints the inner messages as JSON lines, the token masked', async () => {
    const messages = lifecycle().slice(0, 3);
    const run = await tailWhilePublishing(['--tail.output', 'json', '--tail.count', '3'], () =>
      messages.forEach((m) => suite.broker.publishOslo(exchange, m)),
    );
    assert.equal(await run.exited, 0);
    const parsed = run
      .stdout()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      parsed,
      messages.map((m) => ({ ...m, _context_auth_token: '***' })),
    );
    assert.ok(!run.stdout().includes(TOKEN));
  });

  test('--tail.show-secrets prints the token as sent', async () => {
    const message = lifecycle()[0] as Record<string, unknown>;
    const run = await tailWhilePublishing(['--tail.output', 'json', '--tail.show-secrets', '--tail.count', '1'], () =>
      suite.broker.publishOslo(exchange, message),
    );
    assert.equal(await run.exited, 0);
    assert.deepEqual(JSON.parse(run.stdout()), message);
  });

  test('--tail.raw prints the envelope, secrets masked inside it unless --tail.show-secrets', async () => {
    const message = lifecycle()[0] as Record<string, unknown>;
    const masked = await tailWhilePublishing(['--tail.raw', '--tail.count', '1'], () => suite.broker.publishOslo(exchange, message));
    assert.equal(await masked.exited, 0);
    const envelope = JSON.parse(masked.stdout()) as Record<string, string>;
    assert.deepEqual(Object.keys(envelope), ['oslo.version', 'oslo.message']);
    assert.equal((JSON.parse(envelope['oslo.message'] as string) as Record<string, unknown>)['_context_auth_token'], '***');

    const exact = await tailWhilePublishing(['--tail.raw', '--tail.show-secrets', '--tail.count', '1'], () =>
      suite.broker.publishOslo(exchange, message),
    );
    assert.equal(await exact.exited, 0);
    assert.equal(exact.stdout(), `${JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) })}\n`);
  });

  test('filters by event type glob, priority (any case) and host', async () => {
    const messages = lifecycle();
    const run = await tailWhilePublishing(
      [
        '--tail.event-type',
        'compute.instance.*',
        '--tail.priority',
        'error',
        '--tail.priority',
        'Warning',
        '--tail.host',
        'CMP-1?.example.org',
        '--tail.host',
        'ctl-*',
        '--tail.count',
        '1',
      ],
      () => {
        // Ahead of the one that passes: an ERROR from ctl-01 that is not compute.instance.*, and one from another host.
        suite.broker.publishOslo(exchange, messages[13] as Record<string, unknown>);
        suite.broker.publishOslo(exchange, readFixture('nova-legacy/compute.instance.create.error.json'));
        messages.forEach((m) => suite.broker.publishOslo(exchange, m));
      },
    );
    assert.equal(await run.exited, 0);
    assert.match(run.stdout(), /^\S+ ERROR compute\.instance\.create\.error host=cmp-11\.example\.org /);
    assert.equal(run.stdout().split('\n').length, 2);
  });

  test('reports an undecodable message on stderr with its reason and goes on', async () => {
    const run = await tailWhilePublishing(['--tail.count', '1'], () => {
      suite.broker.publish(exchange, 'notifications.info', Buffer.from('this is not JSON'));
      suite.broker.publish(exchange, 'notifications.info', Buffer.from('{"oslo.message": 42}'));
      suite.broker.publishOslo(exchange, lifecycle()[1] as Record<string, unknown>);
    });
    assert.equal(await run.exited, 0);
    assert.match(run.stdout(), /compute\.instance\.create\.start/);
    const warnings = run
      .stderr()
      .split('\n')
      .filter((l) => l.includes('not a notification'));
    assert.equal(warnings.length, 2, run.stderr());
    assert.match(warnings[0] as string, /"reason":"malformed_json"/);
    assert.match(warnings[1] as string, /"reason":"malformed_envelope"/);
  });

  test('Ctrl-C closes it cleanly and leaves no queue on the broker', async () => {
    const run = startCli(['tail', '--amqp.url', suite.vhost.url, '--amqp.exchange', exchange]);
    await run.waitFor('stderr', READY);
    const during = await listQueues(suite.vhost.name);
    assert.equal(during.length, 1);
    assert.match(String(during[0]?.['name']), /^amq\.gen-/);
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 0);
    assert.deepEqual(await listQueues(suite.vhost.name), []);
  });

  test('declares a missing exchange as oslo does when told how, like serve', async () => {
    const missing = suite.broker.track('exchange', `tail-missing-${process.pid}`);
    const run = startCli([
      'tail',
      '--amqp.url',
      suite.vhost.url,
      '--amqp.exchange',
      missing,
      '--amqp.declare-exchange',
      'transient',
      '--tail.count',
      '1',
    ]);
    await run.waitFor('stderr', READY);
    suite.broker.publishOslo(missing, lifecycle()[0] as Record<string, unknown>);
    assert.equal(await run.exited, 0);
    assert.match(run.stderr(), /declared the missing exchange .* \(topic, transient\) as --amqp\.declare-exchange transient says/);
  });
});
