/**
 * Caps the distinct values each label may take, so no input can blow up Prometheus.
 * Past a label's cap new values read `other`; values already seen keep their series.
 * Caps are per label name and shared by every metric using it (one host budget, not one
 * per metric), which is what an operator sizes `--metrics.max-hosts` against.
 */
export const OVERFLOW_VALUE = 'other';
/** Longer values are cut: a label is a name, not a document. */
export const MAX_LABEL_LENGTH = 128;

export class LabelLimiter {
  private readonly seen = new Map<string, Set<string>>();

  constructor(
    private readonly capFor: (label: string) => number,
    private readonly onOverflow: (label: string) => void,
  ) {}

  /** `countOverflow: false` for values re-read at every scrape, so one overflow is not counted each time. */
  bound(label: string, value: string, countOverflow = true): string {
    const v = value.length > MAX_LABEL_LENGTH ? value.slice(0, MAX_LABEL_LENGTH) : value;
    let values = this.seen.get(label);
    if (!values) {
      values = new Set();
      this.seen.set(label, values);
    }
    if (values.has(v)) return v;
    if (values.size < this.capFor(label)) {
      values.add(v);
      return v;
    }
    if (countOverflow) this.onOverflow(label);
    return OVERFLOW_VALUE;
  }

  distinct(label: string): number {
    return this.seen.get(label)?.size ?? 0;
  }
}

/**
 * Label values → a cached metric child. The cache is keyed by the raw values, so a hit skips
 * both the cap lookups and prom-client's label hashing; overflowed combinations are not
 * cached (their raw values are unbounded) and pay the full path, counting each overflow.
 *
 * The cache is a tree of Maps, one level per label, rather than one Map keyed by the joined
 * values: a lookup then hashes each value (V8 keeps a string's hash) instead of building and
 * hashing a new string on every call (227 → 66 ns a lookup, several lookups a message).
 */
export class BoundedChildren<Child> {
  private readonly root: CacheLevel<Child> = new Map();
  private cached = 0;

  constructor(
    private readonly labelNames: readonly string[],
    private readonly limiter: LabelLimiter,
    private readonly make: (values: string[]) => Child,
    private readonly maxCached = 100_000,
  ) {}

  get(...values: string[]): Child {
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      const next = level.get(values[i] as string);
      if (next === undefined) return this.miss(values);
      level = next as CacheLevel<Child>;
    }
    const hit = level.get(values[last] as string);
    return hit === undefined ? this.miss(values) : (hit as Child);
  }

  private miss(values: string[]): Child {
    let overflowed = false;
    const bounded = values.map((v, i) => {
      const b = this.limiter.bound(this.labelNames[i] as string, v);
      if (b !== v) overflowed = b === OVERFLOW_VALUE || overflowed;
      return b;
    });
    const child = this.make(bounded);
    if (!overflowed && this.cached < this.maxCached) {
      let level = this.root;
      for (let i = 0; i < values.length - 1; i++) {
        const key = values[i] as string;
        let next = level.get(key) as CacheLevel<Child> | undefined;
        if (next === undefined) {
          next = new Map();
          level.set(key, next);
        }
        level = next;
      }
      level.set(values[values.length - 1] as string, child);
      this.cached++;
    }
    return child;
  }
}

/** One label's values → the next label's level, or the child at the last label. */
type CacheLevel<Child> = Map<string, CacheLevel<Child> | Child>;
