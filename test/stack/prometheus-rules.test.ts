// Prometheus configuration, alert rules and their unit tests, checked by promtool (from
// Debian's `prometheus` package, or set PROMTOOL), plus the conventions promtool cannot see.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, alertRuleTests, alertRules, dashboardExprs, instantiate } from '../support/queries.js';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

const EXPECTED_ALERTS = [
  'NovaErrorNotifications',
  'NovaBuildFailureRatioHigh',
  'NovaNotificationsStalled',
  'NovaComputeHostSilent',
  'NovaInstanceActionStuck',
  'NovaInstancesInError',
  'OpenStackServiceErrors',
  'OpenStackResourceStuckInTransition',
  'KeystoneAuthenticationFailureSpike',
  'OpenStackNotificationExporterDown',
  'OpenStackNotificationExporterBrokerDisconnected',
  'OpenStackNotificationExporterUndecodableMessages',
  'OpenStackNotificationExporterLabelOverflow',
];

// These aggregate every label away (one alert for the whole cloud), so their
// annotations have no $labels to show.
const CLOUD_WIDE_ALERTS = new Set(['NovaBuildFailureRatioHigh', 'NovaNotificationsStalled', 'KeystoneAuthenticationFailureSpike']);

function promtool(...args: string[]): void {
  const result = spawnSync(PROMTOOL, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.error) {
    assert.fail(`cannot run ${PROMTOOL} (apt-get install prometheus, or set PROMTOOL): ${result.error.message}`);
  }
  assert.equal(result.status, 0, `promtool ${args.join(' ')}\n${result.stdout}${result.stderr}`);
}

test('promtool check rules prometheus/alerts.yml', () => {
  promtool('check', 'rules', '--lint=all', '--lint-fatal', 'prometheus/alerts.yml');
});

test('promtool check config prometheus/prometheus.yml', () => {
  promtool('check', 'config', 'prometheus/prometheus.yml');
});

test('amtool check-config prometheus/alertmanager.yml', () => {
  const result = spawnSync(process.env.AMTOOL ?? 'amtool', ['check-config', 'prometheus/alertmanager.yml'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (result.error) assert.fail(`cannot run amtool (apt-get install prometheus-alertmanager, or set AMTOOL): ${result.error.message}`);
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});

test('promtool test rules prometheus/alerts.test.yml', () => {
  promtool('test', 'rules', 'prometheus/alerts.test.yml');
});

test('promtool test rules prometheus/queries.test.yml: the recorded series and the queries of docs/metrics.md', () => {
  promtool('test', 'rules', 'prometheus/queries.test.yml');
});

test('every dashboard expression is valid PromQL', () => {
  // promtool has no bare expression check, so parse them as recording rules. JSON is YAML.
  const exprs = dashboardExprs();
  const rules = exprs.map(({ expr }, i) => ({ record: `osne:dashboard_expr:${i}`, expr: instantiate(expr) }));
  const dir = mkdtempSync(path.join(tmpdir(), 'osne-dashboard-exprs-'));
  try {
    const file = path.join(dir, 'dashboard-exprs.json');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules }] }, null, 2));
    const result = spawnSync(PROMTOOL, ['check', 'rules', '--lint=none', file], { encoding: 'utf8' });
    if (result.error) assert.fail(`cannot run ${PROMTOOL}: ${result.error.message}`);
    const where = exprs.map((e, i) => `${i}: ${e.dashboard} / ${e.panelTitle} / ${e.refId}`).join('\n');
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}\nrule index → panel:\n${where}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the expected alerts exist, each once', () => {
  const names = alertRules().map((r) => r.alert);
  assert.deepEqual([...names].sort(), [...EXPECTED_ALERTS].sort());
});

test('every alert has a severity, a summary and a description', () => {
  for (const rule of alertRules()) {
    assert.ok(['critical', 'warning', 'info'].includes(rule.labels.severity ?? ''), `${rule.alert}: severity`);
    assert.ok(rule.annotations.summary?.trim(), `${rule.alert}: summary`);
    assert.ok(rule.annotations.description?.trim(), `${rule.alert}: description`);
    const text = `${rule.annotations.summary} ${rule.annotations.description}`;
    if (!CLOUD_WIDE_ALERTS.has(rule.alert)) {
      assert.match(text, /\$labels\.\w+/, `${rule.alert}: annotations should name the affected labels`);
    }
    const kept = labelsKept(rule.expr);
    for (const m of text.matchAll(/\$labels\.(\w+)/g)) {
      const label = m[1] ?? '';
      assert.ok(!kept || kept.has(label), `${rule.alert}: $labels.${label} is aggregated away`);
    }
  }
});

test('every alert is unit-tested both firing and silent', () => {
  const cases = alertRuleTests();
  for (const rule of alertRules()) {
    const own = cases.filter((c) => c.alertname === rule.alert);
    assert.ok(
      own.some((c) => c.expectedAlerts > 0),
      `${rule.alert}: no case where it fires`,
    );
    assert.ok(
      own.some((c) => c.expectedAlerts === 0),
      `${rule.alert}: no case where it stays silent`,
    );
  }
});

// Labels an alert's series can carry: those of its `by (...)` clauses when it aggregates,
// or undefined (any label of the selected series) when it does not.
function labelsKept(expr: string): Set<string> | undefined {
  const aggregation = /\b(?:sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile)\s*(?:by|without|\()/;
  if (!aggregation.test(expr)) return undefined;
  const labels = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => (m[1] ?? '').split(',').map((l) => l.trim()));
  return new Set(labels.filter(Boolean));
}
