import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { PROMETHEUS_DIR, REPO_ROOT, recordingRules } from '../support/queries.js';

// docs/metrics.md answers an operator's first questions in PromQL: each query there is one
// promtool runs (prometheus/queries.test.yml, test/stack/prometheus-rules.test.ts), and its
// table of recorded series is the one prometheus/alerts.yml records.

const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'metrics.md'), 'utf8');
const answers = doc.slice(doc.indexOf('## Answers'), doc.indexOf('\n## ', doc.indexOf('## Answers') + 1));

const tested = (): Set<string> => {
  const file = parse(readFileSync(path.join(PROMETHEUS_DIR, 'queries.test.yml'), 'utf8')) as {
    tests: { promql_expr_test?: { expr: string }[] }[];
  };
  return new Set(file.tests.flatMap((t) => (t.promql_expr_test ?? []).map((c) => c.expr.trim())));
};

test('every query of the Answers section is run by prometheus/queries.test.yml, word for word', () => {
  const queries = [...answers.matchAll(/```promql\n([\s\S]*?)\n```/g)].map((m) => (m[1] as string).trim());
  assert.ok(queries.length >= 4, `only ${queries.length} queries`);
  const exprs = tested();
  assert.deepEqual(
    queries.filter((q) => !exprs.has(q)),
    [],
  );
});

test('the recorded series the Answers section lists are those prometheus/alerts.yml records', () => {
  const listed = [...answers.matchAll(/^\| `([a-z_]+:[a-z0-9]+)` +\|/gm)].map((m) => m[1] as string);
  assert.deepEqual(
    listed.sort(),
    recordingRules()
      .map((r) => r.record)
      .sort(),
  );
});
