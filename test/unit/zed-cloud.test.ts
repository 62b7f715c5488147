import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FIXTURES } from '../support/fixtures.js';
import { expectedActions, failedActions, type NovaRecords } from '../support/instance-actions.js';
import { seriesOf, valueOf, type Sample } from '../support/metrics-text.js';
import { countingPipeline } from '../support/pipeline.js';

/**
 * Everything a real Nova 26 (Zed) cloud sent during one run of test/openstack/drive.py
 * (test/fixtures/zed-cloud, captured from scripts/openstack-up), replayed through the
 * counting stages and held against that cloud's own records of the same run.
 */
interface WireLine {
  readonly exchange: string;
  readonly routing_key: string;
  readonly body: { 'oslo.version': string; 'oslo.message': string };
}

function capture(name: string): { lines: WireLine[]; records: NovaRecords } {
  const dir = join(FIXTURES, 'zed-cloud');
  const lines = readFileSync(join(dir, `${name}.wire.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as WireLine);
  const records = JSON.parse(readFileSync(join(dir, `${name}.records.json`), 'utf8')) as NovaRecords;
  return { lines, records };
}

async function replay(name: string, format: 'unversioned' | 'both') {
  const { lines, records } = capture(name);
  const p = countingPipeline({
    'nova.notification-format': format,
    'openstack.services': ['nova', 'keystone', 'glance', 'neutron', 'heat'],
  });
  let last = 0;
  for (const line of lines) {
    const inner = JSON.parse(line.body['oslo.message']) as { timestamp: string };
    last = Math.max(last, Date.parse(`${inner.timestamp.replace(' ', 'T')}Z`) / 1000);
  }
  p.clock.now = last + 1;
  for (const line of lines) p.feedRaw(Buffer.from(JSON.stringify(line.body)));
  return { samples: await p.scrape(), records, lines };
}

function byAction(samples: readonly Sample[], phase: string): Record<string, number> {
  const got: Record<string, number> = {};
  for (const s of seriesOf(samples, 'openstack_instance_actions_total')) {
    if (s.labels['phase'] !== phase || s.value === 0) continue;
    const action = s.labels['action'] as string;
    got[action] = (got[action] ?? 0) + s.value;
  }
  return Object.fromEntries(Object.entries(got).sort(([a], [b]) => a.localeCompare(b)));
}

const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));

for (const [name, format] of [
  ['unversioned', 'unversioned'],
  ['both', 'both'],
] as const) {
  describe(`a real Nova 26's notifications (${name}), replayed`, () => {
    test('count each recorded instance action once with start and once with end', async () => {
      const { samples, records } = await replay(name, format);
      const expected = sorted(expectedActions(records));
      assert.deepEqual(byAction(samples, 'start'), expected);
      assert.deepEqual(byAction(samples, 'end'), expected);
      assert.deepEqual(byAction(samples, 'error'), {});
    });

    test('count the failed build as one NoValidHost, not unknown', async () => {
      const { samples, records } = await replay(name, format);
      assert.equal(failedActions(records), 1);
      assert.match(records.fault?.message ?? '', /No valid host was found/);
      assert.equal(valueOf(samples, 'openstack_instance_errors_total'), 1);
      assert.equal(valueOf(samples, 'openstack_instance_errors_total', { exception: 'NoValidHost' }), 1);
    });

    test('time every successful action and build once', async () => {
      const { samples, records } = await replay(name, format);
      const expected = expectedActions(records);
      const total = [...expected.values()].reduce((a, b) => a + b, 0);
      assert.equal(valueOf(samples, 'openstack_instance_action_duration_seconds_count', { outcome: 'success' }), total);
      assert.equal(valueOf(samples, 'openstack_instance_build_duration_seconds_count'), expected.get('create'));
    });

    test('hold the servers Nova lists, by state and host', async () => {
      const { samples, records } = await replay(name, format);
      for (const s of records.servers.filter((x) => x.host !== null)) {
        const listed = records.servers.filter((x) => x.vm_state === s.vm_state && x.host === s.host).length;
        assert.equal(
          valueOf(samples, 'openstack_instances', { state: s.vm_state, host: s.host as string }),
          listed,
          `${s.vm_state} on ${s.host}`,
        );
      }
      const withHost = records.servers.filter((x) => x.host !== null).length;
      const countedActive = valueOf(samples, 'openstack_instances', { state: 'active' });
      assert.equal(countedActive, records.servers.filter((x) => x.vm_state === 'active').length, `${withHost} servers with a host`);
    });
  });
}
