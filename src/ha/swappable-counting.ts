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
import { Registry, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { CountingPipeline } from '../commands/serve.js';
import type { RecentActivity } from '../metrics/recent-activity.js';

type Value = MetricValue<string> & { metricName?: string };

/** One metric's values as stored in a snapshot: metricName (histograms' _bucket, _sum, _count), labels, value. */
export type StoredValues = [string | null, Record<string, string | number>, number][];

// Gauges that remember the last notification rather than describe the present: the new
// active shows the last value seen by any replica until it sees a newer one. Every other
// gauge is computed from the restored state (inventory, actions in flight) at scrape time.
const REMEMBERED_GAUGES = new Set(['openstack_notification_last_received_timestamp_seconds']);

const seriesKey = (v: Value) =>
  `${v.metricName ?? ''}\u0000${Object.entries(v.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, x]) => `${k}=${String(x)}`)
    .join('\u0000')}`;

const kept = (type: string, name: string) => type === 'counter' || type === 'histogram' || REMEMBERED_GAUGES.has(name);

export class SwappableCounting {
  private current: { registry: Registry; parts: CountingPipeline };
  private baseline = new Map<string, Map<string, Value>>();
  private readonly names: { name: string; type: string }[] = [];

  constructor(
    served: Registry,
    private readonly build: (registry: Registry) => CountingPipeline,
  ) {
    this.current = this.fresh();
    for (const metric of this.current.registry.getMetricsAsArray()) {
      const { name, help, type } = metric as unknown as { name: string; help: string; type: string };
      this.names.push({ name, type });
      served.registerMetric(this.standIn(name, help, type) as unknown as Metric);
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
   * The counters, histograms and remembered gauges as shown now. Read in one go: every
   * read resolves without waiting on I/O, so no delivery is counted in between.
   */
  async dumpMetrics(): Promise<Record<string, StoredValues>> {
    const reads = this.names.filter(({ name, type }) => kept(type, name)).map(async ({ name }) => [name, await this.read(name)] as const);
    const out: Record<string, StoredValues> = {};
    for (const [name, values] of await Promise.all(reads)) {
      out[name] = values.map((v) => [v.metricName ?? null, v.labels as Record<string, string | number>, v.value]);
    }
    return out;
  }

  /** A fresh state counting on from a snapshot's metrics. */
  restoreMetrics(stored: Readonly<Record<string, StoredValues>>): void {
    this.current = this.fresh();
    const baseline = new Map<string, Map<string, Value>>();
    for (const { name, type } of this.names) {
      const values = stored[name];
      if (!values || !kept(type, name)) continue;
      const series = new Map<string, Value>();
      for (const [metricName, labels, value] of values) {
        const v: Value = { labels, value, ...(metricName === null ? {} : { metricName }) };
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
    const base = this.baseline.get(name);
    const values = (live?.values ?? []) as Value[];
    if (!base || base.size === 0) return values;
    const additive = String(live?.type) !== 'gauge';
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
