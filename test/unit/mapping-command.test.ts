import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { runMapping } from '../../src/commands/mapping.js';
import { lifecycle, readFixture } from '../support/fixtures.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('the mapping command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'osne-mapping-cmd-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const start = {
    event_type: 'volume.create.start',
    priority: 'INFO',
    publisher_id: 'volume.stor-1@ceph#fast',
    timestamp: '2026-01-02 03:04:05',
    payload: { volume_id: 'v-1', status: 'creating' },
  };
  const input = write(
    'in.jsonl',
    [
      JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(start) }),
      JSON.stringify({
        exchange: 'openstack',
        routing_key: 'notifications.info',
        body: {
          'oslo.version': '2.0',
          'oslo.message': JSON.stringify({ ...start, event_type: 'volume.create.end', payload: { volume_id: 'v-1', status: 'available' } }),
        },
      }),
      '',
      JSON.stringify(readFixture('keystone/doc-line415-identity.authenticate.json')),
      JSON.stringify(lifecycle()[0]),
      JSON.stringify({ ...start, event_type: 'capacity.pool.update' }),
      'not json',
    ].join('\n'),
  );

  test('promises no duration for an action no rule starts (Glance image.create), and one for an action some rule starts', () => {
    const line = (eventType: string): string =>
      JSON.stringify({
        event_type: eventType,
        priority: 'INFO',
        publisher_id: 'image.ctl-1',
        timestamp: '2026-01-02 03:04:05',
        payload: { id: 'i-1', status: 'active' },
      });
    const out = sink();
    assert.equal(
      runMapping({ inputs: [write('glance.jsonl', [line('image.create'), line('image.upload')].join('\n'))], stdout: out.stream }),
      0,
    );
    const [, create, upload] = out.text().split('\n\n');
    assert.match(create ?? '', /\n {2}not timed: no rule maps a start of glance image create\n/);
    assert.doesNotMatch(create ?? '', /duration/);
    assert.match(
      upload ?? '',
      /openstack_resource_action_duration_seconds\{service="glance",resource="image",action="upload",outcome="success"\} observes/,
    );
  });

  test('prints, for each notification, the series it updates and how, or why nothing matched', () => {
    const out = sink();
    assert.equal(runMapping({ inputs: [input], stdout: out.stream }), 0);
    const text = out.text();
    const blocks = text.split('\n\n');
    assert.match(blocks[0] ?? '', /^\d+ rules \(built-in\)$/);
    assert.equal(
      blocks[1],
      [
        `${input}:1 volume.create.start (priority INFO, publisher volume, host stor-1@ceph#fast)`,
        '  openstack_notifications_total{event_type="volume.create.start",priority="INFO",publisher="volume",host="stor-1@ceph#fast"} +1',
        '  rule cinder-volume-action (cinder.yaml)',
        '  openstack_resource_actions_total{service="cinder",resource="volume",action="create",phase="start",host="stor-1@ceph"} +1',
        '  openstack_resource_actions_in_flight{service="cinder",resource="volume",action="create"} +1 until its end or error (resource v-1)',
        '  openstack_resources{service="cinder",resource="volume",status="creating"} holds resource v-1',
      ].join('\n'),
    );
    assert.match(blocks[2] ?? '', /exchange openstack\)/);
    assert.match(
      blocks[2] ?? '',
      /openstack_resource_action_duration_seconds\{service="cinder",resource="volume",action="create",outcome="success"\} observes the time since its start/,
    );
    assert.match(
      blocks[3] ?? '',
      /:4 identity.authenticate .*\n.*\n {2}rule keystone-authenticate \(keystone.yaml\)\n {2}openstack_identity_authentications_total\{outcome="failure"\} \+1$/,
    );
    assert.match(blocks[4] ?? '', /the openstack_instance_\* metrics count it/);
    assert.match(blocks[4] ?? '', /note: no rule has an event_type starting with 'compute.'/);
    assert.match(
      blocks[5] ?? '',
      /matched no rule: counted in openstack_notifications_total only\n {2}note: no rule has an event_type starting with 'capacity.'/,
    );
    assert.equal(blocks[6], `${input}:7 not a notification: not JSON\n`);
  });

  test("an operator's rule is tried first and named with its file", () => {
    const mine = write(
      'mine.yaml',
      'rules:\n  - { name: pools, event_type: capacity.pool.*, service: cinder, resource: pool, action: "${1}", phase: end }\n',
    );
    const out = sink();
    assert.equal(runMapping({ mappingFile: mine, inputs: [input], stdout: out.stream }), 0);
    assert.match(
      out.text(),
      / {2}rule pools \(mine.yaml\)\n {2}openstack_resource_actions_total\{service="cinder",resource="pool",action="update",phase="end",host="stor-1@ceph#fast"\} \+1/,
    );
  });

  test('a broken mapping file: exit 1 and one line naming file, rule and key', () => {
    const broken = write('broken.yaml', 'rules:\n  - { name: x, event_type: a.b, service: s, resource: r, action: a, phse: end }\n');
    const out = sink();
    const err = sink();
    assert.equal(runMapping({ mappingFile: broken, inputs: [input], stdout: out.stream, stderr: err.stream }), 1);
    assert.equal(out.text(), '');
    assert.match(err.text(), new RegExp(`^mapping file ${broken}: rule 1 \\(x\\): key 'phse': unknown key \\(known: [^\\n]*\\)\\n$`));
  });

  test('an input that cannot be read: exit 1', () => {
    const out = sink();
    assert.equal(runMapping({ inputs: [join(dir, 'missing.jsonl')], stdout: out.stream }), 1);
    assert.match(out.text(), /missing.jsonl: cannot be read \(ENOENT\)\n$/);
  });
});
