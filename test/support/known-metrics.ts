// The metric names dashboards and alert rules may use, and a small PromQL scanner that
// finds which metric names an expression selects. Together they catch a renamed or
// misspelt metric in a dashboard or rule before an operator sees an empty panel.

import { registryMetrics, type MetricSpec } from './metric-contract.js';
import { recordingRules } from './queries.js';

// The contract comes from the code: a fresh registry's metrics (docs/metrics.md is held equal to it).
const fromRegistry = registryMetrics();
export const EXPORTER_METRICS: Readonly<Record<string, MetricSpec>> = fromRegistry.exporter;
/** prom-client's collectDefaultMetrics(), as this platform registers them. */
export const DEFAULT_METRICS: readonly string[] = fromRegistry.defaults;

// Series Prometheus itself attaches to every scrape.
export const PROMETHEUS_METRICS: readonly string[] = ['up'];

export const HISTOGRAMS: ReadonlySet<string> = new Set([
  ...Object.entries(EXPORTER_METRICS)
    .filter(([, spec]) => spec.type === 'histogram')
    .map(([name]) => name),
  'nodejs_gc_duration_seconds',
]);

// Series prometheus/alerts.yml records from the exporter's, for alerts and operators to query.
export const RECORDED_METRICS: readonly string[] = recordingRules().map((r) => r.record);

export const KNOWN_METRICS: readonly string[] = [
  ...Object.keys(EXPORTER_METRICS),
  ...DEFAULT_METRICS,
  ...PROMETHEUS_METRICS,
  ...RECORDED_METRICS,
];

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

const GROUPING_CLAUSE = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi;

/**
 * Metric names selected by a PromQL expression, in order of first appearance.
 * `_bucket`, `_sum` and `_count` of a known histogram come back as the histogram's name;
 * the same suffixes on anything else are kept, so a misspelt series stays visible.
 * Grafana variables are tolerated anywhere.
 */
export function metricNamesInExpr(expr: string): string[] {
  const stripped = expr
    // Strings first: they may hold braces, brackets, parentheses or `#`.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/#[^\n]*/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{[^}]*\}|\[\[\w+\]\]|\$\w+/g, ' ')
    .replace(GROUPING_CLAUSE, ' ')
    // Numbers and durations (`0.9`, `1e3`, `0x1f`, `5m`, `1h30m`), but not digits inside
    // identifiers such as `nodejs_eventloop_lag_p99_seconds`.
    .replace(/(?<![\w:])\.?\d[\w.]*/g, ' ');

  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const word = match[0];
    const rest = stripped.slice(match.index + word.length);
    if (/^\s*\(/.test(rest)) continue; // a function or aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    const name = histogramBase(word) ?? word;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function histogramBase(series: string): string | undefined {
  const m = /^(.*)_(?:bucket|sum|count)$/.exec(series);
  return m?.[1] !== undefined && HISTOGRAMS.has(m[1]) ? m[1] : undefined;
}
