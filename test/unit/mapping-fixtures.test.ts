import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compileMapping, explainNotification, loadMappings, mapServiceNotification } from '../../src/mapping/index.js';
import { fromInner } from '../../src/pipeline/decode.js';
import { FIXTURES, fixtureFiles, readFixture } from '../support/fixtures.js';

/**
 * Every captured notification of a service other than Nova replays through the built-in
 * mapping. The expected rule and facts live in fixtures/service-expectations.json, so adding
 * a capture is adding its file and its line there.
 */
const expectations = JSON.parse(readFileSync(join(FIXTURES, 'service-expectations.json'), 'utf8')) as Record<
  string,
  { rule: string | null; facts: unknown[] }
>;
const mapping = compileMapping(loadMappings());
const files = fixtureFiles();
const serviceFiles = files.filter((f) => !f.startsWith('nova-'));

describe('every service fixture maps to its expected facts', () => {
  test('every service fixture has an expectation and every expectation a fixture', () => {
    assert.deepEqual([...serviceFiles].sort(), Object.keys(expectations).sort());
    const services = new Set(serviceFiles.map((f) => f.split('/')[0]));
    for (const s of ['cinder', 'neutron', 'glance', 'keystone', 'heat', 'octavia', 'ironic']) assert.ok(services.has(s), `no ${s} fixture`);
  });

  for (const file of serviceFiles) {
    test(file, () => {
      const decoded = fromInner(readFixture(file), 'v1');
      assert.ok(decoded.ok);
      const result = explainNotification(mapping, decoded.notification);
      assert.deepEqual({ rule: result.rule?.name ?? null, facts: result.facts }, expectations[file]);
      // The fast path gives the very same facts.
      assert.deepEqual(mapServiceNotification(mapping, decoded.notification), result.facts);
    });
  }

  test('no Nova fixture matches a built-in service rule (Nova has its own mapper)', () => {
    const novaFiles = files.filter((f) => f.startsWith('nova-'));
    assert.ok(novaFiles.length >= 180);
    for (const file of novaFiles) {
      const decoded = fromInner(readFixture(file), 'v1');
      assert.ok(decoded.ok);
      assert.deepEqual(mapServiceNotification(mapping, decoded.notification), [], file);
    }
  });

  test('no label value carries a user, project, initiator id or address (resource ids are pairing keys only)', () => {
    const labels = serviceFiles.flatMap((f) => {
      const d = fromInner(readFixture(f), 'v1');
      return d.ok ? mapServiceNotification(mapping, d.notification).map(({ ...fact }) => ({ ...fact, resourceId: undefined })) : [];
    });
    const text = JSON.stringify(labels);
    // Keystone's initiator address and id, a Cinder project, a Heat project (inside stack_identity).
    for (const value of [
      '127.0.0.1',
      'c9f76d3c31e142af9291de2935bde98a',
      '1816a16093df465dbc609cf638422a05',
      'bb5c2277f9d04c16ab19cd70766aeba1',
    ]) {
      assert.ok(!text.includes(value), value);
    }
  });
});
