// Every PromQL expression the project ships (dashboard targets and alert rules), in a form
// tests can check statically and run against a real Prometheus.

import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parse } from 'yaml';

// The failsafe schema reads every scalar as a string, which is how Prometheus reads these fields.
type YamlValue = string | null | YamlValue[] | { [key: string]: YamlValue };
const parseYaml = (text: string): YamlValue => parse(text, { schema: 'failsafe' }) as YamlValue;

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARDS_DIR = path.join(REPO_ROOT, 'dashboards');
export const PROMETHEUS_DIR = path.join(REPO_ROOT, 'prometheus');

export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId?: string;
  expr?: string;
  datasource?: DataSourceRef | string | null;
  instant?: boolean;
  range?: boolean;
  format?: string;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: DataSourceRef | string | null;
  targets?: Target[];
  panels?: Panel[]; // children of a collapsed row
  collapsed?: boolean;
  interval?: string;
}

export interface TemplateVariable {
  name: string;
  type: string;
  query?: unknown;
  definition?: string;
  datasource?: DataSourceRef | string | null;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  current?: { text?: unknown; value?: unknown };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: TemplateVariable[] };
}

export interface LoadedDashboard {
  file: string;
  dashboard: Dashboard;
}

/** Every `dashboards/*.json`, parsed. */
export function loadDashboards(): LoadedDashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard,
    }));
}

/** Top-level panels and the children of collapsed rows. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

export interface DashboardExpr {
  dashboard: string; // file name, e.g. instance-churn.json
  panelId: number;
  panelTitle: string;
  refId: string;
  expr: string; // as written, with Grafana variables; see instantiate()
  instant: boolean; // Grafana runs it as an instant query (tables, bar gauges)
}

export function dashboardExprs(): DashboardExpr[] {
  return loadDashboards().flatMap(({ file, dashboard }) =>
    allPanels(dashboard).flatMap((panel) =>
      (panel.targets ?? [])
        .filter((target): target is Target & { expr: string } => typeof target.expr === 'string')
        .map((target) => ({
          dashboard: file,
          panelId: panel.id,
          panelTitle: panel.title,
          refId: target.refId ?? '',
          expr: target.expr,
          instant: target.instant === true && target.range !== true,
        })),
    ),
  );
}

export interface AlertRule {
  group: string;
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export function alertRules(file = path.join(PROMETHEUS_DIR, 'alerts.yml')): AlertRule[] {
  const doc = asMap(parseYaml(readFileSync(file, 'utf8')), 'document');
  return asList(doc.groups, 'groups').flatMap((g) => {
    const group = asMap(g, 'group');
    const groupName = asString(group.name, 'group name');
    const rules = asList(group.rules, `rules of ${groupName}`).map((r) => asMap(r, 'rule'));
    return rules
      .filter((rule) => rule.record === undefined)
      .map((rule) => {
        const alert = asString(rule.alert, `alert name in ${groupName}`);
        const result: AlertRule = {
          group: groupName,
          alert,
          expr: asString(rule.expr, `expr of ${alert}`).trim(),
          labels: asStringMap(rule.labels ?? {}, `labels of ${alert}`),
          annotations: asStringMap(rule.annotations ?? {}, `annotations of ${alert}`),
        };
        if (rule.for !== undefined) result.for = asString(rule.for, `for of ${alert}`);
        return result;
      });
  });
}

/** The recording rules beside the alerts: the series they record and how. */
export function recordingRules(file = path.join(PROMETHEUS_DIR, 'alerts.yml')): { group: string; record: string; expr: string }[] {
  const doc = asMap(parseYaml(readFileSync(file, 'utf8')), 'document');
  return asList(doc.groups, 'groups').flatMap((g) => {
    const group = asMap(g, 'group');
    const groupName = asString(group.name, 'group name');
    return asList(group.rules, `rules of ${groupName}`)
      .map((r) => asMap(r, 'rule'))
      .filter((rule) => rule.record !== undefined)
      .map((rule) => {
        const record = asString(rule.record, `record in ${groupName}`);
        return { group: groupName, record, expr: asString(rule.expr, `expr of ${record}`).trim() };
      });
  });
}

export function alertExprs(): { group: string; alert: string; expr: string }[] {
  return alertRules().map(({ group, alert, expr }) => ({ group, alert, expr }));
}

export interface RuleTestCase {
  evalTime: string;
  alertname: string;
  expectedAlerts: number;
}

/** The `alert_rule_test` cases of a `promtool test rules` file. */
export function alertRuleTests(file = path.join(PROMETHEUS_DIR, 'alerts.test.yml')): RuleTestCase[] {
  const doc = asMap(parseYaml(readFileSync(file, 'utf8')), 'document');
  return asList(doc.tests, 'tests').flatMap((t) =>
    asList(asMap(t, 'test').alert_rule_test ?? [], 'alert_rule_test').map((c) => {
      const testCase = asMap(c, 'alert_rule_test case');
      return {
        evalTime: asString(testCase.eval_time, 'eval_time'),
        alertname: asString(testCase.alertname, 'alertname'),
        expectedAlerts: asList(testCase.exp_alerts ?? [], 'exp_alerts').length,
      };
    }),
  );
}

// Stand-ins for Grafana's variables that make a dashboard expression runnable as is.
// User variables are only ever used in regex matchers (`host=~"$host"`), so `.*` is "All".
const BUILTIN_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '1m',
  __interval_ms: '60000',
  __range: '5m',
  __range_s: '300',
  __range_ms: '300000',
  datasource: 'prometheus',
};

/** Replace Grafana variables (`$x`, `${x}`, `${x:fmt}`, `[[x]]`) with runnable values. */
export function instantiate(expr: string): string {
  return expr.replace(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole: string, a?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    const value = BUILTIN_VARIABLES[name];
    if (value !== undefined) return value;
    if (name.startsWith('__')) throw new Error(`no stand-in for Grafana variable ${whole}`);
    return '.*';
  });
}

function asMap(value: YamlValue | undefined, what: string): { [key: string]: YamlValue } {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what}: expected a map`);
  }
  return value;
}

function asList(value: YamlValue | undefined, what: string): YamlValue[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value;
}

function asString(value: YamlValue | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string`);
  return value;
}

function asStringMap(value: YamlValue, what: string): Record<string, string> {
  return Object.fromEntries(Object.entries(asMap(value, what)).map(([k, v]) => [k, asString(v, `${what}.${k}`)]));
}
