import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import type { Exemplar } from './exemplars.js';
import { registerOwnMetric, type ReadableNow, type StoredValues } from './prom-client-internals.js';

/** One series' value: updating it is a field write, with no label hashing. */
export class Cell {
  value = 0;
  /** The last increment's exemplar (OpenMetrics only). */
  exemplar: Exemplar | undefined = undefined;

  constructor(readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1, exemplar?: Exemplar): void {
    this.value += by;
    if (exemplar) this.exemplar = exemplar;
  }

  set(value: number): void {
    this.value = value;
  }
}

/**
 * A counter or gauge whose series are plain cells, for the metrics updated on every
 * notification. prom-client's children hash and validate their labels on every inc()
 * (about 0.5 µs a call, several calls a message); here the caller holds the cell and the
 * registry reads all cells once per scrape. Label values must already be bounded
 * (BoundedChildren does that), since cells are never removed.
 */
export class CellMetric implements ReadableNow {
  readonly aggregator = 'sum' as const;
  private readonly cells = new Map<string, Cell>();

  constructor(
    // Not readonly: prom-client renames counters while rendering OpenMetrics (see registry.ts).
    public name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    readonly labelNames: readonly string[],
    registry: Registry,
    /**
     * A gauge that remembers the last notification rather than describing the present: --ha
     * carries its value over a takeover like a counter's (every other gauge is computed from
     * the state a snapshot carries).
     */
    readonly remembered = false,
  ) {
    registerOwnMetric(registry, this);
  }

  cell(values: readonly string[]): Cell {
    const key = values.join('\u0000');
    let cell = this.cells.get(key);
    if (!cell) {
      cell = new Cell(Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] as string])));
      this.cells.set(key, cell);
    }
    return cell;
  }

  valuesNow(): StoredValues {
    const out: StoredValues = [];
    for (const { labels, value } of this.cells.values()) out.push([null, { ...labels }, value]);
    return out;
  }

  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const values: MetricValue<string>[] = [];
    for (const { labels, value, exemplar } of this.cells.values())
      values.push(exemplar ? ({ labels, value, exemplar } as MetricValue<string>) : { labels, value });
    // The registry reads name, help, type and values; `collect` is part of prom-client's type only.
    return { name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, values, collect: () => undefined };
  }

  reset(): void {
    this.cells.clear();
  }
}

type HistogramValue = MetricValue<string> & {
  metricName: string;
  sharedLabels: Readonly<Record<string, string>>;
  exemplar?: Exemplar;
};

type HistogramData = Omit<MetricObjectWithValues<MetricValue<string>>, 'values'> & { values: HistogramValue[] };

/** One histogram series: counts per bucket (not cumulative), sum and count, and an exemplar per bucket. */
export class HistogramCell {
  sum = 0;
  count = 0;
  readonly counts: number[];
  readonly exemplars: (Exemplar | undefined)[];

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
    this.exemplars = new Array<Exemplar | undefined>(bounds.length + 1).fill(undefined);
  }

  observe(value: number, exemplar?: Exemplar): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
    // The exemplar goes on the bucket its value falls in, as OpenMetrics asks.
    if (exemplar) this.exemplars[i] = exemplar;
  }
}

/**
 * A histogram of cells, like CellMetric: the caller holds the series, the registry reads
 * them at scrape time in the shape prom-client's histograms give (`_bucket` with `le`,
 * `_sum`, `_count`), exemplars on the buckets.
 */
export class CellHistogram implements ReadableNow {
  readonly aggregator = 'sum' as const;
  readonly type = 'histogram' as const;
  private readonly cells = new Map<string, HistogramCell>();

  constructor(
    public name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registerOwnMetric(registry, this);
  }

  cell(values: readonly string[]): HistogramCell {
    const key = values.join('\u0000');
    let cell = this.cells.get(key);
    if (!cell) {
      cell = new HistogramCell(Object.fromEntries(this.labelNames.map((n, i) => [n, values[i] as string])), this.buckets);
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** Values with each series' labels in `labels`, as prom-client's histograms give them (the HA snapshot reads these). */
  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const data = this.forText();
    const values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...sharedLabels, ...labels } }));
    return { ...data, values };
  }

  valuesNow(): StoredValues {
    return this.forText().values.map(({ metricName, sharedLabels, labels, value }) => [
      metricName ?? null,
      { ...sharedLabels, ...labels } as Record<string, string | number>,
      value,
    ]);
  }

  /**
   * What the registry renders: as prom-client does, a series' labels are `sharedLabels`, one
   * object for all its lines, which the registry formats once (it caches by object).
   */
  async getForPromString(): Promise<HistogramData> {
    return this.forText();
  }

  private forText(): HistogramData {
    const values: HistogramValue[] = [];
    const bucket = `${this.name}_bucket`;
    const sum = `${this.name}_sum`;
    const count = `${this.name}_count`;
    for (const c of this.cells.values()) {
      let acc = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        acc += c.counts[i] as number;
        const le = i < this.buckets.length ? (this.buckets[i] as number) : '+Inf';
        const exemplar = c.exemplars[i];
        values.push({ metricName: bucket, labels: { le }, sharedLabels: c.labels, value: acc, ...(exemplar && { exemplar }) });
      }
      values.push({ metricName: sum, labels: {}, sharedLabels: c.labels, value: c.sum });
      values.push({ metricName: count, labels: {}, sharedLabels: c.labels, value: c.count });
    }
    return { name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, values, collect: () => undefined };
  }

  reset(): void {
    this.cells.clear();
  }
}
