// The metric names dashboards and alert rules may use, and a small PromQL scanner that
// finds which metric names an expression selects. Together they catch a renamed or
// misspelt metric in a dashboard or rule before an operator sees an empty panel.

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  type: MetricType;
  labels: readonly string[];
}

// The exporter's public metric contract (DESIGN.md). Histogram labels exclude `le`.
export const EXPORTER_METRICS: Readonly<Record<string, MetricSpec>> = {
  openstack_notifications_total: {
    type: 'counter',
    labels: ['event_type', 'priority', 'publisher', 'host'],
  },
  openstack_instance_state_transitions_total: {
    type: 'counter',
    labels: ['from_state', 'to_state', 'host'],
  },
  openstack_instance_task_state_transitions_total: {
    type: 'counter',
    labels: ['from_task_state', 'to_task_state', 'host'],
  },
  openstack_instance_actions_total: { type: 'counter', labels: ['action', 'phase', 'host'] },
  openstack_instance_errors_total: { type: 'counter', labels: ['event_type', 'exception', 'host'] },
  openstack_instance_build_duration_seconds: { type: 'histogram', labels: ['host'] },
  openstack_instance_action_duration_seconds: {
    type: 'histogram',
    labels: ['action', 'outcome', 'host'],
  },
  openstack_instance_actions_in_flight: { type: 'gauge', labels: ['action'] },
  openstack_instance_action_oldest_in_flight_seconds: { type: 'gauge', labels: ['action'] },
  openstack_instances: { type: 'gauge', labels: ['state', 'host'] },
  // Services beyond Nova, through the declarative mapping (src/metrics/resource-metrics.ts).
  openstack_resource_actions_total: { type: 'counter', labels: ['service', 'resource', 'action', 'phase', 'host'] },
  openstack_resource_action_duration_seconds: { type: 'histogram', labels: ['service', 'resource', 'action', 'outcome'] },
  openstack_resource_actions_in_flight: { type: 'gauge', labels: ['service', 'resource', 'action'] },
  openstack_resource_action_oldest_in_flight_seconds: { type: 'gauge', labels: ['service', 'resource', 'action'] },
  openstack_resources: { type: 'gauge', labels: ['service', 'resource', 'status'] },
  openstack_resource_errors_total: { type: 'counter', labels: ['service', 'event_type', 'exception'] },
  openstack_identity_authentications_total: { type: 'counter', labels: ['outcome'] },
  openstack_notification_last_received_timestamp_seconds: {
    type: 'gauge',
    labels: ['publisher', 'host'],
  },
  openstack_notification_exporter_build_info: { type: 'gauge', labels: ['version', 'nodejs'] },
  openstack_notification_exporter_amqp_connected: { type: 'gauge', labels: [] },
  openstack_notification_exporter_amqp_reconnects_total: { type: 'counter', labels: [] },
  openstack_notification_exporter_messages_received_total: { type: 'counter', labels: [] },
  openstack_notification_exporter_messages_dropped_total: { type: 'counter', labels: ['reason'] },
  openstack_notification_exporter_label_values_overflow_total: {
    type: 'counter',
    labels: ['label'],
  },
  openstack_notification_exporter_queue_messages: { type: 'gauge', labels: [] },
  openstack_notification_exporter_queue_consumers: { type: 'gauge', labels: [] },
  openstack_notification_exporter_tracked_instances: { type: 'gauge', labels: [] },
  openstack_notification_exporter_tracked_actions: { type: 'gauge', labels: [] },
};

// prom-client's collectDefaultMetrics() on Linux (prom-client 15).
export const DEFAULT_METRICS: readonly string[] = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_start_time_seconds',
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'process_max_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_requests',
  'nodejs_active_requests_total',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_heap_space_size_total_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_heap_space_size_available_bytes',
  'nodejs_version_info',
  'nodejs_gc_duration_seconds',
];

// Series Prometheus itself attaches to every scrape.
export const PROMETHEUS_METRICS: readonly string[] = ['up'];

export const HISTOGRAMS: ReadonlySet<string> = new Set([
  ...Object.entries(EXPORTER_METRICS)
    .filter(([, spec]) => spec.type === 'histogram')
    .map(([name]) => name),
  'nodejs_gc_duration_seconds',
]);

export const KNOWN_METRICS: readonly string[] = [...Object.keys(EXPORTER_METRICS), ...DEFAULT_METRICS, ...PROMETHEUS_METRICS];

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
