// Structural checks on the Grafana dashboards: what Grafana needs to import them, and what
// keeps them working against the exporter's metric contract.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EXPORTER_METRICS, HISTOGRAMS, KNOWN_METRICS, metricNamesInExpr } from '../support/known-metrics.js';
import {
  DASHBOARDS_DIR,
  PROMETHEUS_DATASOURCE,
  alertExprs,
  allPanels,
  dashboardExprs,
  instantiate,
  loadDashboards,
  type Dashboard,
  type GridPos,
  type Panel,
} from '../support/queries.js';

const EXPECTED = {
  'instance-churn.json': 'osne-instance-churn',
  'errors.json': 'osne-errors',
  'exporter-health.json': 'osne-exporter-health',
  'services.json': 'osne-services',
} as const;

const dashboards = loadDashboards();
const known = new Set(KNOWN_METRICS);

test('metricNamesInExpr finds metric names and nothing else', () => {
  assert.deepEqual(
    metricNamesInExpr(
      'sum by (host, le) (rate(openstack_instance_build_duration_seconds_bucket{host=~"$host", le!="+Inf"}[$__rate_interval]))',
    ),
    ['openstack_instance_build_duration_seconds'],
  );
  assert.deepEqual(
    metricNamesInExpr(
      'histogram_quantile(0.99, sum without (instance) (rate(a_bucket[5m]))) / on (job) group_left(version) b_info offset 1h30m',
    ),
    ['a_bucket', 'b_info'],
  );
  assert.deepEqual(metricNamesInExpr('time() - max(last_seen{x="sum(y)", z=~"[a-z]+"}) > bool 0.5e3 or vector(0)'), ['last_seen']);
  assert.deepEqual(metricNamesInExpr('topk(10, nodejs_eventloop_lag_p99_seconds) and ON() up{job="a"} unless x:y:rate5m'), [
    'nodejs_eventloop_lag_p99_seconds',
    'up',
    'x:y:rate5m',
  ]);
  assert.deepEqual(metricNamesInExpr('(c unless c offset $__range) or increase(c[${__range}]) # comment metric'), ['c']);
});

test('instantiate replaces Grafana variables with runnable values', () => {
  assert.equal(
    instantiate('rate(x{host=~"$host", i=~"${instance:regex}"}[$__rate_interval]) + y[$__range] + z[$__interval]'),
    'rate(x{host=~".*", i=~".*"}[1m]) + y[5m] + z[1m]',
  );
  // "All" of region and cell also matches series without those labels (no constant labels).
  assert.equal(instantiate('x{region=~"$region", cell=~"$cell"}'), 'x{region=~".*", cell=~".*"}');
  assert.throws(() => instantiate('x[$__unknown]'), /no stand-in/);
});

test('the four dashboards exist with their fixed uids', () => {
  for (const [file, uid] of Object.entries(EXPECTED)) {
    assert.ok(existsSync(path.join(DASHBOARDS_DIR, file)), `dashboards/${file} is missing`);
    const found = dashboards.find((d) => d.file === file);
    assert.equal(found?.dashboard.uid, uid, `${file}: uid`);
  }
  const uids = dashboards.map((d) => d.dashboard.uid);
  assert.equal(new Set(uids).size, uids.length, 'dashboard uids must be unique');
});

for (const { file, dashboard } of dashboards) {
  const panels = allPanels(dashboard);
  const dataPanels = panels.filter((p) => p.type !== 'row');

  test(`${file}: importable by Grafana 11/12`, () => {
    assert.match(dashboard.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(dashboard.title, 'title');
    assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, 'schemaVersion');
    assert.equal((dashboard as unknown as { id: unknown }).id, null, 'id must be null so import creates it');
    assert.ok(dataPanels.length > 0, 'no panels');
    for (const panel of dataPanels) {
      assert.ok(panel.title, `panel ${panel.id} has no title`);
      assert.ok(panel.targets && panel.targets.length > 0, `${panel.title}: no targets`);
      const refIds = panel.targets.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${panel.title}: duplicate refId`);
    }
  });

  test(`${file}: datasource and host variables`, () => {
    const vars = dashboard.templating.list;
    const ds = vars.find((v) => v.name === 'datasource');
    assert.equal(ds?.type, 'datasource');
    assert.equal(ds?.query, 'prometheus');
    const host = vars.find((v) => v.name === 'host');
    assert.equal(host?.type, 'query');
    assert.equal(host?.definition, 'label_values(openstack_notifications_total{region=~"$region", cell=~"$cell"}, host)');
    assert.equal(host?.multi, true);
    assert.equal(host?.includeAll, true);
    // "All" as a regex rather than a list of every host keeps queries short on big clouds.
    assert.equal(host?.allValue, '.*');
    for (const v of vars.filter((v) => v.type === 'query')) {
      assert.deepEqual(v.datasource, PROMETHEUS_DATASOURCE, `variable ${v.name}`);
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(v.definition ?? '');
      assert.ok(m?.[1], `variable ${v.name}: expected label_values(selector, label)`);
      assert.deepEqual(unknownMetrics(m[1]), [], `variable ${v.name}`);
    }
  });

  // --metrics.constant-label region=… cell=…: one exporter per cell broker. "All" is the regex
  // `.*`, which also matches series without the label, so the panels work without it too.
  test(`${file}: region and cell variables, all by default`, () => {
    const vars = dashboard.templating.list;
    const region = vars.find((v) => v.name === 'region');
    const cell = vars.find((v) => v.name === 'cell');
    assert.equal(region?.definition, 'label_values(openstack_notifications_total, region)');
    assert.equal(cell?.definition, 'label_values(openstack_notifications_total{region=~"$region"}, cell)');
    for (const v of [region, cell]) {
      assert.equal(v?.type, 'query');
      assert.equal(v?.multi, true, `${v?.name}: multi`);
      assert.equal(v?.includeAll, true, `${v?.name}: includeAll`);
      assert.equal(v?.allValue, '.*', `${v?.name}: allValue`);
      assert.deepEqual(v?.current?.value, ['$__all'], `${v?.name}: All by default`);
    }
    // Grafana resolves variables in order: those a query uses come before it.
    const order = vars.map((v) => v.name);
    assert.ok(order.indexOf('region') < order.indexOf('cell'), 'region before cell');
    assert.ok(order.indexOf('cell') < order.indexOf('host'), 'cell before host');
  });

  test(`${file}: unique panel ids and titles`, () => {
    const ids = panels.map((p) => p.id);
    assert.ok(
      ids.every((id) => Number.isInteger(id) && id > 0),
      'ids must be positive integers',
    );
    assert.deepEqual(duplicates(ids), []);
    assert.deepEqual(duplicates(panels.map((p) => p.title)), [], 'duplicate titles');
  });

  test(`${file}: panels fit the 24-column grid without overlapping`, () => {
    // Children of a collapsed row are laid out as if it were open: check them apart.
    const groups: Panel[][] = [dashboard.panels, ...dashboard.panels.filter((p) => p.panels?.length).map((p) => p.panels ?? [])];
    for (const group of groups) {
      for (const p of group) {
        const g = p.gridPos;
        assert.ok(
          [g.x, g.y, g.w, g.h].every(Number.isInteger) && g.x >= 0 && g.y >= 0 && g.w > 0 && g.h > 0,
          `${p.title}: bad gridPos ${JSON.stringify(g)}`,
        );
        assert.ok(g.x + g.w <= 24, `${p.title}: wider than the grid`);
      }
      for (const [i, a] of group.entries()) {
        for (const b of group.slice(i + 1)) {
          assert.ok(!overlaps(a.gridPos, b.gridPos), `"${a.title}" overlaps "${b.title}"`);
        }
      }
    }
  });

  test(`${file}: every datasource reference is \${datasource}`, () => {
    for (const { where, value } of datasourceRefs(dashboard)) {
      assert.deepEqual(value, PROMETHEUS_DATASOURCE, where);
    }
    for (const panel of dataPanels) {
      assert.deepEqual(panel.datasource, PROMETHEUS_DATASOURCE, `${panel.title}: panel`);
      for (const t of panel.targets ?? []) {
        assert.deepEqual(t.datasource, PROMETHEUS_DATASOURCE, `${panel.title}/${t.refId}`);
      }
    }
  });
}

test('every dashboard expression uses only known metrics', () => {
  const exprs = dashboardExprs();
  assert.ok(exprs.length > 0);
  for (const { dashboard, panelTitle, refId, expr } of exprs) {
    const names = metricNamesInExpr(expr);
    assert.ok(names.length > 0, `${dashboard} / ${panelTitle} / ${refId}: selects no metric`);
    assert.deepEqual(unknownMetrics(expr), [], `${dashboard} / ${panelTitle} / ${refId}`);
  }
});

test('every contract metric appears on some dashboard', () => {
  const used = new Set(dashboardExprs().flatMap(({ expr }) => metricNamesInExpr(expr)));
  const unused = Object.keys(EXPORTER_METRICS).filter((m) => !used.has(m));
  assert.deepEqual(unused, []);
});

test('dashboard selectors of host-labelled metrics honour the host variable', () => {
  for (const { dashboard, panelTitle, expr } of dashboardExprs()) {
    for (const { metric, matchers } of selectors(expr)) {
      if (!EXPORTER_METRICS[metric]?.labels.includes('host')) continue;
      assert.match(matchers, /host=~"\$host"/, `${dashboard} / ${panelTitle}: ${metric}`);
    }
  }
});

test('dashboard selectors of openstack_* metrics honour the region and cell variables', () => {
  let checked = 0;
  for (const { dashboard, panelTitle, expr } of dashboardExprs()) {
    for (const { metric, matchers } of selectors(expr)) {
      if (!metric.startsWith('openstack_')) continue;
      assert.match(matchers, /region=~"\$region"/, `${dashboard} / ${panelTitle}: ${metric}`);
      assert.match(matchers, /cell=~"\$cell"/, `${dashboard} / ${panelTitle}: ${metric}`);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} selectors checked`);
});

// `(c unless c offset W) or increase(c[W])` counts a series born inside the window by its
// whole value. Under --ha a takeover moves every counting series to another replica (with
// the snapshot's counts): the replica labels must be summed away before `unless` compares.
test('the new-series form sums the replica labels away on counting metrics', () => {
  const exprs = [
    ...dashboardExprs().map((d) => ({ where: `${d.dashboard} / ${d.panelTitle}`, expr: d.expr })),
    ...alertExprs().map((a) => ({ where: `alert ${a.alert}`, expr: a.expr })),
  ];
  let checked = 0;
  for (const { where, expr } of exprs) {
    const flat = expr.replace(/\s+/g, ' ');
    for (const m of flat.matchAll(/\bunless\b/g)) {
      const after = flat.slice(m.index + 'unless'.length).trimStart();
      // The exporter's own counters are per replica and never restored: per instance is right.
      if (/^openstack_notification_exporter_/.test(after)) continue;
      const right = /^sum without \(instance, pod\) \((openstack_\w+)/.exec(after);
      assert.ok(right, `${where}: right of unless: ${after.slice(0, 60)}`);
      const left = leftOperand(flat, m.index);
      assert.match(left, /^sum without \(instance, pod\) \(openstack_\w+/, `${where}: left of unless`);
      const counter = right[1] ?? '';
      assert.ok(
        flat.includes(`or sum without (instance, pod) (increase(${counter}`),
        `${where}: increase() of ${counter} not summed the same way`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 20, `only ${checked} checked`);
});

test('every aggregation in the alert rules keeps region and cell', () => {
  for (const { alert, expr } of alertExprs()) {
    for (const m of expr.matchAll(/\b(by|on)\s*\(([^)]*)\)/g)) {
      const labels = (m[2] ?? '').split(',').map((l) => l.trim());
      assert.ok(labels.includes('region') && labels.includes('cell'), `${alert}: ${m[0]}`);
    }
    // Aggregations without a clause would drop them too.
    assert.doesNotMatch(expr, /\b(sum|max|min|count|avg)\s*\(/, `${alert}: aggregation without by (region, cell)`);
  }
});

test('dashboard range windows follow the time picker', () => {
  for (const { dashboard, panelId, panelTitle, expr } of dashboardExprs()) {
    const where = `${dashboard} / ${panelTitle}`;
    for (const m of expr.matchAll(/\[([^\]]*)\]/g)) {
      const window = m[1] ?? '';
      assert.ok(['$__rate_interval', '$__interval', '$__range'].includes(window), `${where}: hard-coded range [${window}]`);
      const fn = enclosingFunction(expr, m.index);
      // rate() over $__interval can hold fewer than two samples and draw gaps.
      if (fn === 'rate' || fn === 'irate') {
        assert.notEqual(window, '$__interval', `${where}: ${fn}() needs $__rate_interval`);
      }
    }
    if (expr.includes('$__interval')) {
      const panel = findPanel(dashboard, panelId);
      const min = durationSeconds(panel?.interval ?? '');
      assert.ok(min >= 60, `${where}: uses $__interval without a minimum interval of 1m or more`);
    }
  }
});

test('instantiated dashboard expressions have no Grafana variables left', () => {
  for (const { dashboard, panelTitle, expr } of dashboardExprs()) {
    assert.doesNotMatch(instantiate(expr), /\$|\[\[/, `${dashboard} / ${panelTitle}`);
  }
});

test('every alert expression uses only known metrics', () => {
  const alerts = alertExprs();
  assert.ok(alerts.length >= 10);
  for (const { alert, expr } of alerts) {
    assert.ok(metricNamesInExpr(expr).length > 0, `${alert}: selects no metric`);
    assert.deepEqual(unknownMetrics(expr), [], alert);
  }
});

function unknownMetrics(expr: string): string[] {
  return metricNamesInExpr(expr).filter((name) => !known.has(name));
}

function duplicates<T>(values: T[]): T[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

function overlaps(a: GridPos, b: GridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

// Every `datasource` value anywhere in the dashboard, except Grafana's built-in
// annotation query, which must point at Grafana itself.
function datasourceRefs(dashboard: Dashboard): { where: string; value: unknown }[] {
  const found: { where: string; value: unknown }[] = [];
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => walk(child, `${where}[${i}]`));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'annotations') continue;
        if (key === 'datasource') found.push({ where: `${where}.datasource`, value });
        else walk(value, `${where}.${key}`);
      }
    }
  };
  walk(dashboard, '$');
  return found;
}

// Metric selectors and their `{...}` matchers ('' when there are none). Strings are
// blanked first so label values cannot pass for metric names.
function selectors(expr: string): { metric: string; matchers: string }[] {
  const out: { metric: string; matchers: string }[] = [];
  const re = /(?<![\w:."])([a-zA-Z_:][\w:]*)(\s*\{[^}]*\})?/g;
  for (const m of expr.matchAll(re)) {
    const word = m[1] ?? '';
    const base = /^(.*)_(?:bucket|sum|count)$/.exec(word)?.[1];
    const metric = base !== undefined && HISTOGRAMS.has(base) ? base : word;
    if (!(metric in EXPORTER_METRICS)) continue;
    if (insideString(expr, m.index)) continue;
    out.push({ metric, matchers: m[2] ?? '' });
  }
  return out;
}

// The operand that ends just before `index`: a parenthesised group and the call or
// aggregation (with its clause) that owns it, e.g. `sum without (instance, pod) (x)`.
function leftOperand(expr: string, index: number): string {
  let end = index;
  while (end > 0 && expr[end - 1] === ' ') end--;
  let depth = 0;
  let i = end - 1;
  for (; i >= 0; i--) {
    if (expr[i] === ')') depth++;
    else if (expr[i] === '(' && --depth === 0) break;
  }
  const head = /((?:sum|max|min|count|avg)\s*(?:(?:by|without)\s*\([^)]*\)\s*)?)$/.exec(expr.slice(0, i));
  return expr.slice(i - (head?.[1]?.length ?? 0), end);
}

function insideString(expr: string, index: number): boolean {
  const before = expr.slice(0, index).replace(/\\./g, '');
  return (before.match(/"/g)?.length ?? 0) % 2 === 1;
}

// Name of the innermost function call whose parentheses contain `index`.
function enclosingFunction(expr: string, index: number): string | undefined {
  let depth = 0;
  for (let i = index - 1; i >= 0; i--) {
    const c = expr[i];
    if (c === ')') depth++;
    else if (c === '(') {
      if (depth === 0) return /([a-zA-Z_]\w*)\s*$/.exec(expr.slice(0, i))?.[1];
      depth--;
    }
  }
  return undefined;
}

function findPanel(file: string, id: number): Panel | undefined {
  const found = dashboards.find((d) => d.file === file);
  return found ? allPanels(found.dashboard).find((p) => p.id === id) : undefined;
}

function durationSeconds(text: string): number {
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  const m = /^(\d+)([smhd])$/.exec(text);
  return m?.[1] && m[2] ? Number(m[1]) * (units[m[2]] ?? 0) : 0;
}

// host is on openstack_instance_action_duration_seconds only with --metrics.duration-by-host
// (the default registry above has none): its panels must filter by host when it is there,
// and under "All" (`.*`, which also matches a missing label) show the host-less series.
test('action duration panels work with and without --metrics.duration-by-host', () => {
  assert.equal(EXPORTER_METRICS['openstack_instance_action_duration_seconds']?.labels.includes('host'), false);
  let checked = 0;
  for (const { dashboard, panelTitle, expr } of dashboardExprs()) {
    for (const { metric, matchers } of selectors(expr)) {
      if (metric !== 'openstack_instance_action_duration_seconds') continue;
      assert.match(matchers, /host=~"\$host"/, `${dashboard} / ${panelTitle}`);
      checked++;
    }
  }
  assert.ok(checked >= 3, `only ${checked} selectors checked`);
  assert.match(instantiate('x{host=~"$host"}'), /host=~"\.\*"/);
});
