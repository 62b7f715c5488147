import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildConfig } from '../../src/config/config.js';
import { globMatch, renderMessage, stringifyJson, type TailFormatOptions } from '../../src/commands/tail-format.js';
import { isSecretKey, redactSecrets } from '../../src/oslo/secrets.js';
import { osloEnvelope } from '../support/broker.js';
import { lifecycle, readFixture } from '../support/fixtures.js';

const TOKEN = 'gAAAAABfixtureTOKENnotreal0123456789';
const options = (over: Partial<TailFormatOptions> = {}): TailFormatOptions => ({
  output: 'text',
  eventTypes: [],
  priorities: [],
  hosts: [],
  requestIds: [],
  showSecrets: false,
  maxMessageBytes: 1024 * 1024,
  ...over,
});
const render = (inner: unknown, over: Partial<TailFormatOptions> = {}) => renderMessage(osloEnvelope(inner), options(over));
const text = (inner: unknown, over: Partial<TailFormatOptions> = {}): string => {
  const out = render(inner, over);
  assert.equal(out.kind, 'print', JSON.stringify(out));
  return (out as { text: string }).text;
};

describe('the readable line', () => {
  const cases: [fixture: string, line: string][] = [
    [
      'nova-legacy/lifecycle/03-compute.instance.update-spawning.json',
      '2026-11-25T09:58:13.000Z INFO  compute.instance.update host=cmp-03.example.org instance=3f2b9c1e-7d4a-4b8e-9c2f-1a2b3c4d5e6f task=networking→spawning',
    ],
    [
      'nova-legacy/lifecycle/04-compute.instance.update-active.json',
      '2026-11-25T09:58:41.500Z INFO  compute.instance.update host=cmp-03.example.org instance=3f2b9c1e-7d4a-4b8e-9c2f-1a2b3c4d5e6f state=building→active task=spawning→none',
    ],
    [
      'nova-legacy/lifecycle/14-scheduler.select_destinations.error.json',
      '2026-11-25T10:31:00.000Z ERROR scheduler.select_destinations.error host=ctl-01.example.org error=NoValidHost',
    ],
    [
      'nova-versioned/instance-create-error.json',
      '- ERROR instance.create.error host=compute instance=178b0921-8f85-4257-88b6-2e743b5a975c error=FlavorDiskTooSmall',
    ],
    ['cinder-legacy/watcher-scenario_1_error-volume-create.json', '- INFO  volume.create.end host=host_0@backend_0#pool_0'],
  ];
  for (const [fixture, line] of cases) {
    test(`shows time, priority, event type, host, instance and changes [${fixture}]`, () => {
      assert.equal(text(readFixture(fixture)), line);
    });
  }

  test('shows a versioned state change from state_update', () => {
    const update = readFixture('nova-versioned/instance-update.json');
    const data = (update['payload'] as { 'nova_object.data': { state_update: { 'nova_object.data': Record<string, unknown> } } })[
      'nova_object.data'
    ];
    Object.assign(data.state_update['nova_object.data'], { old_state: 'building', state: 'active' });
    assert.match(text(update), / state=building→active( |$)/);
  });

  test('keeps control characters a sender put in its strings off the terminal', () => {
    const line = text({ event_type: 'compute.instance.update\u001b[2J\nforged line', publisher_id: 'compute.h\r1', priority: 'INFO' });
    assert.equal(line, '- INFO  compute.instance.update?[2J?forged?line host=h?1');
  });

  test('masks a URL password that reaches the line unless --tail.show-secrets', () => {
    const inner = { event_type: 'x', publisher_id: 'svc:rabbit://u:hunter2@h', priority: 'INFO' };
    assert.ok(!text(inner).includes('hunter2'));
    assert.ok(text(inner, { showSecrets: true }).includes('hunter2'));
  });
});

describe('json and raw output', () => {
  const inner = lifecycle()[0] as Record<string, unknown>;

  test('json is the inner message with the token masked, keys in their order', () => {
    const line = text(inner, { output: 'json' });
    assert.ok(!line.includes(TOKEN));
    assert.deepEqual(JSON.parse(line), { ...inner, _context_auth_token: '***' });
    assert.deepEqual(Object.keys(JSON.parse(line) as object), Object.keys(inner));
  });

  test('json with --tail.show-secrets is the inner message as sent', () => {
    assert.equal(text(inner, { output: 'json', showSecrets: true }), JSON.stringify(inner));
  });

  test('raw with --tail.show-secrets is the body byte for byte; without, the envelope with the token masked', () => {
    assert.equal(text(inner, { output: 'raw', showSecrets: true }), osloEnvelope(inner).toString());
    const envelope = JSON.parse(text(inner, { output: 'raw' })) as Record<string, string>;
    assert.equal(envelope['oslo.version'], '2.0');
    assert.deepEqual(JSON.parse(envelope['oslo.message'] as string), { ...inner, _context_auth_token: '***' });
    const bare = renderMessage(Buffer.from(JSON.stringify(inner)), options({ output: 'raw' }));
    assert.deepEqual(JSON.parse((bare as { text: string }).text), { ...inner, _context_auth_token: '***' });
  });

  test('survives a payload nested 100,000 deep in every output', () => {
    const depth = 100_000;
    const body = Buffer.from(
      `{"oslo.version":"2.0","oslo.message":${JSON.stringify(`{"event_type":"compute.instance.update","priority":"INFO","payload":{"deep":${'['.repeat(depth)}"rabbit://u:hunter2@h"${']'.repeat(depth)}}}`)}}`,
    );
    for (const output of ['text', 'json', 'raw'] as const) {
      const out = renderMessage(body, options({ output, maxMessageBytes: 16 * 1024 * 1024 }));
      assert.equal(out.kind, 'print', output);
      const printed = (out as { text: string }).text;
      assert.ok(!printed.includes('hunter2'), output);
      if (output === 'json') assert.ok(printed.endsWith(`"rabbit://u:***@h"${']'.repeat(depth)}}}`));
    }
  });
});

describe('redaction', () => {
  test('masks _context_ tokens, passwords, secrets, credentials and the service catalog; keeps the rest', () => {
    const masked = redactSecrets({
      _context_auth_token: 't',
      _context_auth_token_info: { a: 1 },
      _context_service_catalog: [{ endpoints: [] }],
      _context_db_password: 'p',
      _context_user_credentials: 'c',
      _context_app_secret: 's',
      _context_request_id: 'req-1',
      _context_roles: ['admin'],
      payload: { admin_password: 'p', key_name: 'k', url: 'amqp://nova:hunter2@ctl/', list: ['http://a:b@h:1/x', 2, null, true] },
    });
    assert.deepEqual(masked, {
      _context_auth_token: '***',
      _context_auth_token_info: '***',
      _context_service_catalog: '***',
      _context_db_password: '***',
      _context_user_credentials: '***',
      _context_app_secret: '***',
      _context_request_id: 'req-1',
      _context_roles: ['admin'],
      payload: { admin_password: '***', key_name: 'k', url: 'amqp://nova:***@ctl/', list: ['http://a:***@h:1/x', 2, null, true] },
    });
  });

  test('copies a __proto__ key as data, never as a prototype', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
    const copy = redactSecrets(parsed) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.equal(stringifyJson(copy), '{"__proto__":{"polluted":true},"a":1}');
  });

  test('names secret keys', () => {
    for (const key of ['_context_auth_token', '_context_service_catalog', 'password', 'auth_token', 'secret'])
      assert.ok(isSecretKey(key), key);
    for (const key of ['_context_user_id', '_context_request_id', 'token_type', 'key_name', 'passwordless_login'])
      assert.ok(!isSecretKey(key), key);
  });

  test('stringifyJson writes what JSON.stringify writes', () => {
    for (const value of [null, 0, -1.5e300, 'é"\\\n\u2028\ud800', [], {}, [1, [2, [3, {}]]], { a: { b: [{ c: 'd' }] }, e: false }]) {
      assert.equal(stringifyJson(value), JSON.stringify(value));
    }
  });
});

describe('filters', () => {
  const errorOnCmp11 = lifecycle()[11] as Record<string, unknown>;

  test('event type globs: * spans dots, ? is one character, any may match', () => {
    assert.equal(render(errorOnCmp11, { eventTypes: ['compute.instance.*'] }).kind, 'print');
    assert.equal(render(errorOnCmp11, { eventTypes: ['compute.instance.create.?rror'] }).kind, 'print');
    assert.equal(render(errorOnCmp11, { eventTypes: ['instance.*', '*.error'] }).kind, 'print');
    assert.equal(render(errorOnCmp11, { eventTypes: ['instance.*'] }).kind, 'filtered');
  });

  test('priorities come from the flag in any case, WARNING meaning WARN', () => {
    const c = buildConfig({ 'tail.priority': ['error', 'Warning'] }, {}, { command: 'tail' });
    assert.deepEqual(c.tail.priorities, ['ERROR', 'WARN']);
    assert.equal(render(errorOnCmp11, { priorities: c.tail.priorities }).kind, 'print');
    assert.equal(render(lifecycle()[0], { priorities: c.tail.priorities }).kind, 'filtered');
    assert.equal(render({ event_type: 'x', priority: 'warning' }, { priorities: c.tail.priorities }).kind, 'print');
  });

  test("hosts match the sender's or the instance's host, ignoring case", () => {
    const fromApi = {
      event_type: 'compute.instance.update',
      publisher_id: 'api.ctl-01',
      priority: 'INFO',
      payload: { host: 'cmp-07', instance_id: 'i' },
    };
    assert.equal(render(fromApi, { hosts: ['CTL-*'] }).kind, 'print');
    assert.equal(render(fromApi, { hosts: ['cmp-0?'] }).kind, 'print');
    assert.equal(render(fromApi, { hosts: ['cmp-1*'] }).kind, 'filtered');
  });

  test('--tail.request-id keeps the notifications of that request (the context id, or the versioned payload id)', () => {
    const id = 'req-0c1f3a52-9d2e-4b8a-a6f1-3e5d7c9b1a20';
    const c = buildConfig({ 'tail.request-id': [id.toUpperCase()] }, {}, { command: 'tail' });
    assert.deepEqual(c.tail.requestIds, [id]);
    const ofRequest = (requestId: string) => ({
      event_type: 'compute.instance.update',
      priority: 'INFO',
      _context_request_id: requestId,
      payload: {},
    });
    assert.equal(render(ofRequest(id), { requestIds: c.tail.requestIds }).kind, 'print');
    assert.equal(render(ofRequest('req-11111111-2222-4333-8444-555555555555'), { requestIds: c.tail.requestIds }).kind, 'filtered');
    assert.equal(render({ event_type: 'x', priority: 'INFO' }, { requestIds: c.tail.requestIds }).kind, 'filtered');
    const versioned = {
      event_type: 'instance.update',
      priority: 'INFO',
      payload: { 'nova_object.name': 'InstanceUpdatePayload', 'nova_object.data': { uuid: 'i', request_id: id } },
    };
    assert.equal(render(versioned, { requestIds: c.tail.requestIds }).kind, 'print');
    assert.throws(() => buildConfig({ 'tail.request-id': ['12345'] }, {}, { command: 'tail' }), /--tail.request-id.*req- and a UUID/);
  });

  test('globMatch', () => {
    const cases: [string, string, boolean][] = [
      ['*', '', true],
      ['a*b*c', 'aXbYc', true],
      ['a*b*c', 'aXbY', false],
      ['?', '', false],
      ['a?c', 'abc', true],
      ['a.c', 'abc', false],
      ['*.end', 'compute.instance.create.end', true],
      ['[x]', '[x]', true],
      [`${'*a'.repeat(20)}b`, 'a'.repeat(5000), false],
    ];
    for (const [pattern, value, expected] of cases) assert.equal(globMatch(pattern, value), expected, `${pattern} ${value}`);
  });
});

describe('undecodable messages', () => {
  const cases: [string, Uint8Array, string][] = [
    ['not JSON', Buffer.from('nope'), 'malformed_json'],
    ['not UTF-8', Buffer.from([0xff, 0xfe]), 'invalid_utf8'],
    ['a JSON array', Buffer.from('[1]'), 'not_an_object'],
    ['an oslo.message that is no string', Buffer.from('{"oslo.message":1}'), 'malformed_envelope'],
    ['no event_type', osloEnvelope({ priority: 'INFO' }), 'missing_event_type'],
    ['too large', Buffer.alloc(2048, 32), 'oversized'],
  ];
  for (const [name, body, reason] of cases) {
    test(`are reported with their reason: ${name}`, () => {
      const out = renderMessage(body, options({ maxMessageBytes: 1024 }));
      assert.equal(out.kind, 'undecodable');
      assert.equal((out as { reason: string }).reason, reason);
    });
  }
});
