/**
 * The metric contract two ways: what a fresh exporter registry holds (the code) and what
 * docs/metrics.md documents. A test holds them equal, so neither can drift.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { buildConfig } from '../../src/config/config.js';
import { createCountingPipeline } from '../../src/commands/serve.js';
import { createLogger } from '../../src/log.js';
import { registerRoleMetrics } from '../../src/ha/role-metrics.js';
import { BrokerMetrics } from '../../src/metrics/broker-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  readonly type: MetricType;
  /** Histograms: without `le`. */
  readonly labels: readonly string[];
  readonly help: string;
}

const DEFAULT_PREFIXES = ['process_', 'nodejs_'];

/** Every metric of a freshly built exporter, as the code registers it. */
export function registryMetrics(): { exporter: Record<string, MetricSpec>; defaults: string[] } {
  const registry = createRegistry();
  const log = createLogger({ level: 'error', format: 'json', destination: new Writable({ write: (_c, _e, done) => done() }) });
  createCountingPipeline(buildConfig({}, {}), registry, log, () => 0);
  new BrokerMetrics(registry, { consuming: false, reconnects: 0, awaitingExchanges: [], queueStats: async () => undefined }, false, [
    'nova',
  ]);
  registerRoleMetrics(registry, () => ({ active: false, takeovers: 0, snapshots: 0, lastSnapshotBytes: 0 }));
  const exporter: Record<string, MetricSpec> = {};
  const defaults: string[] = [];
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; help: string; type: MetricType; labelNames?: readonly string[] };
    if (DEFAULT_PREFIXES.some((p) => m.name.startsWith(p))) {
      defaults.push(m.name);
      continue;
    }
    exporter[m.name] = { type: m.type, labels: [...(m.labelNames ?? [])], help: m.help };
  }
  return { exporter, defaults };
}

/** The reference table of docs/metrics.md: `| \`name\` | type | \`a\`, \`b\` | meaning |`. */
export function documentedMetrics(): Record<string, Omit<MetricSpec, 'help'>> {
  const text = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const out: Record<string, Omit<MetricSpec, 'help'>> = {};
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([a-z_:]+)`\s*\|\s*(counter|gauge|histogram)\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const labels = [...(m[3] as string).matchAll(/`([a-z_]+)`/g)].map((x) => x[1] as string);
    out[m[1] as string] = { type: m[2] as MetricType, labels };
  }
  return out;
}
