import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { PROMETHEUS_DIR } from './queries.js';
import { startDaemon } from './daemon.js';
import { freePort } from './ports.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface QueryResult {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: PromSample[] | [number, string] };
}

export interface AlertingRule {
  name: string;
  state: 'inactive' | 'pending' | 'firing';
  lastEvaluation: string;
  health: string;
  lastError?: string;
}

export interface RunningPrometheus {
  readonly url: string;
  /** Instant query; resolves with Prometheus's answer, errors included. */
  query(expr: string): Promise<QueryResult>;
  /** Range query over the last `seconds`. */
  queryRange(expr: string, seconds: number, stepSeconds: number): Promise<QueryResult>;
  alertingRules(): Promise<AlertingRule[]>;
  /** /api/v1/query_exemplars over the last `seconds` (and a minute ahead); needs the exemplar-storage feature. */
  exemplars(expr: string, seconds: number): Promise<ExemplarResult>;
  stop(): Promise<void>;
}

export interface ExemplarResult {
  status: 'success' | 'error';
  error?: string;
  data?: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[];
}

export interface PrometheusOptions {
  /** host:port of the exporter to scrape, in place of the compose stack's `exporter:9851`. */
  readonly target: string;
  /** Rule files; default the repository's prometheus/alerts.yml. */
  readonly ruleFiles?: readonly string[];
  readonly intervalSeconds?: number;
  /** Merged into every scrape job: scheme, basic_auth, tls_config for a secured exporter. */
  readonly scrape?: Readonly<Record<string, unknown>>;
  /** Prometheus's `alerting:` section, to send alerts to an Alertmanager. */
  readonly alerting?: Readonly<Record<string, unknown>>;
  /** --enable-feature values, e.g. exemplar-storage. */
  readonly features?: readonly string[];
}

/**
 * prometheus/prometheus.yml as the compose stack runs it, for a local exporter: same jobs
 * and rules, the target swapped, the intervals shortened so a test sees data in seconds.
 */
export async function localPrometheusConfig(options: PrometheusOptions): Promise<string> {
  const config = parse(await readFile(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: { static_configs: { targets: string[] }[] }[];
    alerting?: unknown;
  };
  const every = `${options.intervalSeconds ?? 1}s`;
  config.global = { ...config.global, scrape_interval: every, evaluation_interval: every };
  config.rule_files = [...(options.ruleFiles ?? config.rule_files.map((f) => path.resolve(PROMETHEUS_DIR, f)))];
  for (const job of config.scrape_configs) {
    // One exporter stands in for the stack's --ha pair: the second replica's target is left out.
    for (const sc of job.static_configs) {
      sc.targets = sc.targets.filter((t) => t !== 'exporter-2:9851').map((t) => (t === 'exporter:9851' ? options.target : t));
    }
  }
  if (options.scrape) config.scrape_configs = config.scrape_configs.map((job) => ({ ...job, ...options.scrape }));
  // The stack's Alertmanager (alertmanager:9093) does not exist here: only the one a test gives.
  if (options.alerting) config.alerting = options.alerting;
  else delete config.alerting;
  return stringify(config);
}

/** A real Prometheus in a temp dir of its own; stop() kills it and removes the dir. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = await mkdtemp(path.join(tmpdir(), 'osne-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, await localPrometheusConfig(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { stop } = await startDaemon(
    'prometheus',
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(options.features?.length ? [`--enable-feature=${options.features.join(',')}`] : []),
    ],
    dir,
    `${url}/-/ready`,
  );

  const api = async (endpoint: string, params: Record<string, string>): Promise<QueryResult> => {
    const res = await fetch(`${url}/api/v1/${endpoint}`, { method: 'POST', body: new URLSearchParams(params) });
    return (await res.json()) as QueryResult;
  };
  return {
    url,
    query: (expr) => api('query', { query: expr }),
    queryRange: (expr, seconds, stepSeconds) => {
      const end = Date.now() / 1000;
      return api('query_range', { query: expr, start: String(end - seconds), end: String(end), step: String(stepSeconds) });
    },
    async exemplars(expr, seconds) {
      const end = Date.now() / 1000 + 60;
      const res = await fetch(`${url}/api/v1/query_exemplars`, {
        method: 'POST',
        body: new URLSearchParams({ query: expr, start: String(end - 60 - seconds), end: String(end) }),
      });
      return (await res.json()) as ExemplarResult;
    },
    async alertingRules() {
      const res = await fetch(`${url}/api/v1/rules?type=alert`);
      const body = (await res.json()) as { data: { groups: { rules: AlertingRule[] }[] } };
      return body.data.groups.flatMap((g) => g.rules);
    },
    stop,
  };
}
