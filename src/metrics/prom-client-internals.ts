/**
 * Every use of prom-client beyond its typed API, in one place. prom-client has no public way
 * to read a metric without awaiting it, to build a registry of the other format, or to
 * register an object of our own; the exporter needs all three. What it relies on is checked
 * by checkPromClientShape() (run when --ha starts, and by test/unit/prom-client-internals.test.ts),
 * so an upgrade that changes it fails loudly instead of restoring wrong counts.
 */
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  type Metric,
  type MetricObjectWithValues,
  type MetricValue,
  type OpenMetricsContentType,
} from 'prom-client';

/** One metric's values as a snapshot stores them: metricName (histograms' _bucket, _sum, _count), labels, value. */
export type StoredValues = [string | null, Record<string, string | number>, number][];

/** What the registry reads from a metric object: the typed Metric plus the fields prom-client keeps on all of them. */
export interface MetricLike {
  /** Not readonly: prom-client renames counters in place while it renders OpenMetrics (registry.ts). */
  name: string;
  readonly help: string;
  readonly type: string;
  get(): Promise<MetricObjectWithValues<MetricValue<string>>>;
  /** Histograms render the text format through this one when it exists. */
  getForPromString?: () => Promise<MetricObjectWithValues<MetricValue<string>>>;
  /** Set on a metric whose value is computed at scrape time. */
  readonly collect?: unknown;
}

/** A metric of our own that can say its values without awaiting (cells.ts). */
export interface ReadableNow {
  valuesNow(): StoredValues;
}

// prom-client's own state (lib/counter.js, gauge.js, histogram.js of 15.x).
type CounterState = { hashMap: Record<string, { labels: Record<string, string | number>; value: number }> };
type HistogramState = {
  name: string;
  upperBounds: number[];
  hashMap: Record<string, { labels: Record<string, string | number>; bucketValues: Record<string, number>; sum: number; count: number }>;
};

export class PromClientShapeError extends Error {}

export const asMetricLike = (metric: Metric | object): MetricLike => metric as unknown as MetricLike;

/** Adds an object of our own that quacks like a prom-client metric (name, help, type, get). */
export function registerOwnMetric(registry: Registry | Registry<OpenMetricsContentType>, metric: object): void {
  registry.registerMetric(metric as unknown as Metric);
}

export function metricsOf(registry: Registry): MetricLike[] {
  return registry.getMetricsAsArray().map(asMetricLike);
}

/** prom-client fixes a registry's format at construction; its typings only know the default one. */
export function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const RegistryClass = Registry as unknown as new (type: OpenMetricsContentType) => Registry<OpenMetricsContentType>;
  return new RegistryClass(Registry.OPENMETRICS_CONTENT_TYPE);
}

/** Wraps what the registry reads from a metric (both readers of a histogram). */
export function wrapReaders(
  metric: MetricLike,
  wrap: (values: MetricObjectWithValues<MetricValue<string>>) => MetricObjectWithValues<MetricValue<string>>,
): void {
  const get = metric.get.bind(metric);
  metric.get = async () => wrap(await get());
  if (metric.getForPromString) {
    const forText = metric.getForPromString.bind(metric);
    metric.getForPromString = async () => wrap(await forText());
  }
}

const isReadableNow = (m: object): m is ReadableNow => typeof (m as Partial<ReadableNow>).valuesNow === 'function';

/**
 * A counter's, gauge's or histogram's values as they are at this instant, without awaiting:
 * a snapshot must copy the metrics in the same synchronous step as the rest of the state, or
 * deliveries counted in between are in its counters but not in what it acks. A gauge's
 * collect() is not run (its value is computed from state the snapshot carries anyway).
 */
export function readValuesNow(metric: MetricLike): StoredValues {
  if (isReadableNow(metric)) return metric.valuesNow();
  if (metric instanceof Histogram) {
    const h = metric as unknown as HistogramState;
    if (!Array.isArray(h.upperBounds) || typeof h.hashMap !== 'object') throw shapeError('histogram', 'upperBounds, hashMap');
    const out: StoredValues = [];
    for (const { labels, bucketValues, sum, count } of Object.values(h.hashMap)) {
      let acc = 0;
      for (const le of h.upperBounds) {
        acc += bucketValues[le] ?? 0;
        out.push([`${metric.name}_bucket`, { ...labels, le }, acc]);
      }
      out.push([`${metric.name}_bucket`, { ...labels, le: '+Inf' }, count]);
      out.push([`${metric.name}_sum`, { ...labels }, sum]);
      out.push([`${metric.name}_count`, { ...labels }, count]);
    }
    return out;
  }
  if (metric instanceof Counter || metric instanceof Gauge) {
    const c = metric as unknown as CounterState;
    if (typeof c.hashMap !== 'object') throw shapeError(metric.type, 'hashMap');
    return Object.values(c.hashMap).map(({ labels, value }) => [null, { ...labels }, value]);
  }
  throw new PromClientShapeError(`cannot read ${metric.name} without awaiting: not a prom-client metric nor one of ours`);
}

const shapeError = (type: string, fields: string) =>
  new PromClientShapeError(
    `prom-client's ${type} no longer keeps ${fields} as this exporter expects (src/metrics/prom-client-internals.ts)`,
  );

/** Values in one order, labels sorted: what get() and readValuesNow() must agree on. */
export function normalised(values: readonly MetricValue<string>[] | StoredValues): string[] {
  return values
    .map((v) => {
      const [metricName, labels, value] = Array.isArray(v)
        ? (v as StoredValues[number])
        : [(v as { metricName?: string }).metricName ?? null, v.labels as Record<string, string | number>, v.value];
      const l = Object.entries(labels)
        .map(([k, x]) => `${k}=${String(x)}`)
        .sort()
        .join(',');
      return `${metricName ?? ''}{${l}} ${value}`;
    })
    .sort();
}

/**
 * Builds one metric of each type, updates them and compares the synchronous reads with what
 * prom-client's own get() says. Throws PromClientShapeError when they disagree.
 */
export async function checkPromClientShape(): Promise<void> {
  const registry = new Registry();
  const registers = [registry];
  const counter = new Counter({ name: 'shape_counter_total', help: 'h', labelNames: ['a'] as const, registers });
  counter.inc({ a: 'x' }, 2);
  counter.inc({ a: 'y' });
  const gauge = new Gauge({ name: 'shape_gauge', help: 'h', labelNames: ['a'] as const, registers });
  gauge.set({ a: 'x' }, 7);
  const plain = new Counter({ name: 'shape_plain_total', help: 'h', registers });
  plain.inc(3);
  const histogram = new Histogram({ name: 'shape_seconds', help: 'h', labelNames: ['a'] as const, buckets: [1, 5], registers });
  histogram.observe({ a: 'x' }, 0.5);
  histogram.observe({ a: 'x' }, 3);
  histogram.observe({ a: 'x' }, 60);
  for (const metric of metricsOf(registry)) {
    const want = normalised((await metric.get()).values);
    const got = normalised(readValuesNow(metric));
    if (want.join('\n') !== got.join('\n')) {
      throw new PromClientShapeError(
        `prom-client's ${metric.type} reads differently without awaiting (${got.join('; ')}) than with get() (${want.join('; ')}): src/metrics/prom-client-internals.ts needs updating`,
      );
    }
  }
}
