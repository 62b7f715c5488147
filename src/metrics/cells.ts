import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';
import { registerOwnMetric, type ReadableNow, type StoredValues } from './prom-client-internals.js';

/** One series' value: updating it is a field write, with no label hashing. */
export class Cell {
  value = 0;

  constructor(readonly labels: Readonly<Record<string, string>>) {}

  inc(by = 1): void {
    this.value += by;
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
    for (const { labels, value } of this.cells.values()) values.push({ labels, value });
    // The registry reads name, help, type and values; `collect` is part of prom-client's type only.
    return { name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, values, collect: () => undefined };
  }

  reset(): void {
    this.cells.clear();
  }
}
