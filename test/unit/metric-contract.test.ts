import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentedMetrics, registryMetrics } from '../support/metric-contract.js';

test('docs/metrics.md documents exactly the metrics a fresh registry holds, with their types and labels', () => {
  const code = registryMetrics().exporter;
  const docs = documentedMetrics();
  for (const [name, spec] of Object.entries(code)) {
    assert.ok(docs[name], `${name} is registered but not documented`);
    assert.equal(docs[name].type, spec.type, `${name}: type`);
    assert.deepEqual(docs[name].labels, spec.labels, `${name}: labels`);
  }
  for (const name of Object.keys(docs)) assert.ok(code[name], `${name} is documented but not registered`);
});

test('every metric has HELP and follows the naming conventions', () => {
  for (const [name, spec] of Object.entries(registryMetrics().exporter)) {
    assert.ok(spec.help.length > 10, `${name}: HELP`);
    assert.match(name, /^openstack_[a-z_]+$/);
    if (spec.type === 'counter') assert.match(name, /_total$/, name);
    for (const label of spec.labels) assert.match(label, /^[a-z][a-z_]*$/, `${name}{${label}}`);
  }
});
