/**
 * The counting pipeline of a replica, replaceable as a whole. Under --ha a replica counts
 * only while it is the active one: when it stands by it shows a fresh, empty state, and
 * when it takes over it shows the state of the last snapshot and counts on from there. So
 * at any time the openstack_* series summed over the replicas are the group's one count.
 *
 * Each state is built into a registry of its own; the served registry holds one stand-in
 * per metric that reads the current state's metric. A snapshot's counter and histogram
 * values become a baseline the stand-in adds to what the current state has counted since:
 * prom-client has no way to set a counter or a histogram to a value, and needs none here.
 */
import { Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { CountingPipeline } from '../commands/serve.js';
import { CellMetric } from '../metrics/cells.js';
import {
  asMetricLike,
  metricsOf,
  readValuesNow,
  registerOwnMetric,
  type MetricLike,
  type StoredValues,
} from '../metrics/prom-client-internals.js';
import type { RecentActivity } from '../metrics/recent-activity.js';

export type { StoredValues } from '../metrics/prom-client-internals.js';

type Value = MetricValue<string> & { metricName?: string };

const seriesKey = (v: Value) =>
  `${v.metricName ?? ''}\u0000${Object.entries(v.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, x]) => `${k}=${String(x)}`)
    .join('\u0000')}`;

// Counters and histograms carry their values over a takeover, and so do the gauges that
// remember the last notification rather than describe the present (the new active shows the
// last value any replica saw until it sees a newer one). Every other gauge is computed from
// the restored state (inventory, actions in flight) at scrape time.
const kept = (metric: MetricLike) =>
  metric.type === 'counter' || metric.type === 'histogram' || (metric instanceof CellMetric && metric.remembered);

const toValue = ([metricName, labels, value]: StoredValues[number]): Value => ({
  labels,
  value,
  ...(metricName === null ? {} : { metricName }),
});

export class SwappableCounting {
  private current: { registry: Registry; parts: CountingPipeline };
  private baseline = new Map<string, Map<string, Value>>();
  /** The metrics a snapshot carries, by name (their kinds are the same in every state built). */
  private readonly keptNames: string[] = [];

  constructor(
    served: Registry,
    private readonly build: (registry: Registry) => CountingPipeline,
  ) {
    this.current = this.fresh();
    for (const metric of metricsOf(this.current.registry)) {
      const { name, help, type } = metric;
      if (kept(metric)) this.keptNames.push(name);
      registerOwnMetric(served, this.standIn(name, help, type));
    }
  }

  get pipeline(): CountingPipeline['pipeline'] {
    return this.current.parts.pipeline;
  }

  get activity(): RecentActivity {
    return this.current.parts.activity;
  }

  get state(): CountingPipeline['state'] {
    return this.current.parts.state;
  }

  expire(now: number): void {
    this.current.parts.expire(now);
  }

  /** An empty state, as a standby shows it. */
  reset(): void {
    this.current = this.fresh();
    this.baseline = new Map();
  }

  /**
   * The counters, histograms and remembered gauges as shown now, synchronously: a snapshot
   * copies them in the same step as the state and the message ids, so nothing is counted
   * in between (amqplib hands several deliveries to the consumer in one socket read).
   */
  dumpMetrics(): Record<string, StoredValues> {
    const out: Record<string, StoredValues> = {};
    for (const name of this.keptNames) {
      const found = this.current.registry.getSingleMetric(name);
      const metric = found && asMetricLike(found);
      const live = metric ? readValuesNow(metric).map(toValue) : [];
      out[name] = this.withBaseline(name, live, metric?.type !== 'gauge').map((v) => [
        v.metricName ?? null,
        v.labels as Record<string, string | number>,
        v.value,
      ]);
    }
    return out;
  }

  /** A fresh state counting on from a snapshot's metrics. */
  restoreMetrics(stored: Readonly<Record<string, StoredValues>>): void {
    this.current = this.fresh();
    const baseline = new Map<string, Map<string, Value>>();
    for (const name of this.keptNames) {
      const values = stored[name];
      if (!values) continue;
      const series = new Map<string, Value>();
      for (const stored of values) {
        const v = toValue(stored);
        series.set(seriesKey(v), v);
      }
      baseline.set(name, series);
    }
    this.baseline = baseline;
  }

  private fresh(): { registry: Registry; parts: CountingPipeline } {
    const registry = new Registry();
    return { registry, parts: this.build(registry) };
  }

  /** The current state's values of one metric, with the baseline added (counters, histograms) or filled in (gauges). */
  private async read(name: string): Promise<Value[]> {
    const metric = this.current.registry.getSingleMetric(name);
    const live = metric ? ((await metric.get()) as MetricObjectWithValues<Value>) : undefined;
    return this.withBaseline(name, (live?.values ?? []) as Value[], String(live?.type) !== 'gauge');
  }

  private withBaseline(name: string, values: Value[], additive: boolean): Value[] {
    const base = this.baseline.get(name);
    if (!base || base.size === 0) return values;
    const merged: Value[] = [];
    const used = new Set<string>();
    for (const v of values) {
      const key = seriesKey(v);
      const b = base.get(key);
      used.add(key);
      merged.push(b && additive ? { ...v, value: v.value + b.value } : v);
    }
    for (const [key, b] of base) if (!used.has(key)) merged.push(b);
    return merged;
  }

  private standIn(key: string, help: string, type: string) {
    // `name` is not readonly: the OpenMetrics view renames counters while it renders (registry.ts).
    const standIn = {
      name: key,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ name: standIn.name, help, type, aggregator: 'sum' as const, values: await this.read(key) }),
      reset: () => undefined,
    };
    return standIn;
  }
}
