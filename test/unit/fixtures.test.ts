import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeNotification, fromInner } from '../../src/pipeline/decode.js';
import { instanceEvent } from '../../src/nova/mapper.js';
import { FIXTURES, fixtureFiles, readFixture, wireLines } from '../support/fixtures.js';

/**
 * Every captured notification replays through the decoder. Expected values live in
 * fixtures/expectations.json, so adding a capture is adding a file and its line there.
 */
const expectations = JSON.parse(readFileSync(join(FIXTURES, 'expectations.json'), 'utf8')) as Record<
  string,
  Record<string, string | number>
>;

describe('every fixture decodes to its expected facts', () => {
  const files = fixtureFiles();

  test('every fixture has an expectation and every expectation a fixture', () => {
    assert.deepEqual([...files].sort(), Object.keys(expectations).sort());
    assert.ok(files.length >= 200, `only ${files.length} fixtures found`);
  });

  for (const file of files) {
    test(file, () => {
      const inner = readFixture(file);
      const result = fromInner(inner, 'v1');
      assert.ok(result.ok, `dropped: ${result.ok ? '' : result.reason}`);
      const n = result.notification;
      const e = instanceEvent(n);
      const got: Record<string, string | number> = {
        event_type: n.eventType,
        priority: n.priority,
        publisher: n.publisher,
        host: n.host,
        format: n.format,
      };
      if (e) {
        if (e.host !== n.host) got['instance_host'] = e.host;
        if (e.action) got['action'] = e.action;
        if (e.phase) got['phase'] = e.phase;
        if (e.state) got['state'] = e.state;
        if (e.stateTransition) got['state_transition'] = `${e.stateTransition.from}>${e.stateTransition.to}`;
        if (e.taskStateTransition) {
          got['task_state_transition'] = `${e.taskStateTransition.from}>${e.taskStateTransition.to}`;
        }
        if (e.exception) got['exception'] = e.exception;
        if (e.buildDurationSeconds !== undefined) got['build_duration_seconds'] = e.buildDurationSeconds;
      }
      assert.deepEqual(got, expectations[file]);
      assert.equal(n.eventType, inner['event_type'], 'event_type is passed through unchanged');
    });
  }

  test('the same fixtures decode identically from oslo v2 envelopes and bare v1 bodies', () => {
    for (const file of files) {
      const inner = readFixture(file);
      const v2 = decodeNotification(Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(inner) })), {
        maxMessageBytes: 1 << 20,
      });
      const v1 = decodeNotification(Buffer.from(JSON.stringify(inner)), { maxMessageBytes: 1 << 20 });
      assert.ok(v2.ok && v1.ok, file);
      assert.equal(v2.notification.envelope, 'v2');
      assert.equal(v1.notification.envelope, 'v1');
      assert.deepEqual({ ...v2.notification, envelope: 'v1' }, v1.notification, file);
    }
  });

  test('the wire capture decodes line by line, priority matching the routing key', () => {
    const lines = wireLines();
    assert.equal(lines.length, 14);
    for (const line of lines) {
      const result = decodeNotification(Buffer.from(JSON.stringify(line.body)), { maxMessageBytes: 1 << 20 });
      assert.ok(result.ok);
      assert.equal(`notifications.${result.notification.priority.toLowerCase()}`, line.routing_key);
      assert.ok(result.notification.messageId, 'wire messages carry message_id');
      assert.ok(result.notification.timestampSeconds! > 1.7e9, 'timestamp parsed as 2026 UTC');
    }
  });

  test('no decoded notification carries the _context_* keys (they may hold tokens)', () => {
    for (const file of files) {
      const result = fromInner(readFixture(file), 'v1');
      assert.ok(result.ok);
      assert.ok(!JSON.stringify(result.notification).includes('_context_'), file);
    }
  });
});
