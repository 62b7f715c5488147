/**
 * Caps the distinct values each label may take, so no input can blow up Prometheus.
 * Caps are per label name and shared by every metric using it (one host budget, not one
 * per metric), which is what an operator sizes `--metrics.max-hosts` against.
 */
export const OVERFLOW_VALUE = 'other';
/** Longer values are cut: a label is a name, not a document. */
export const MAX_LABEL_LENGTH = 128;

/**
 * Every label whose values come from notifications, so the overflow counter can show each
 * at 0 from the start.
 */
export const BOUNDED_LABELS = [
  'event_type',
  'publisher',
  'host',
  'action',
  'state',
  'from_state',
  'to_state',
  'from_task_state',
  'to_task_state',
  'exception',
  'service',
  'resource',
  'status',
] as const;
export type BoundedLabel = (typeof BOUNDED_LABELS)[number];

/** A value → the value a label may carry. */
export type Bound = (value: string) => string;

export class LabelLimiter {
  private readonly bounds = new Map<string, Bound>();
  private readonly seen = new Map<string, Set<string>>();

  constructor(
    private readonly capFor: (label: string) => number,
    private readonly onOverflow: (label: string) => void,
  ) {}

  /** The bound of one label; hold on to it: the hot path then skips the lookup by name. */
  label(name: BoundedLabel): Bound {
    let bound = this.bounds.get(name);
    if (bound) return bound;
    const values = new Set<string>();
    const cap = this.capFor(name);
    this.seen.set(name, values);
    bound = (value) => {
      const v = value.length > MAX_LABEL_LENGTH ? value.slice(0, MAX_LABEL_LENGTH) : value;
      if (values.has(v)) return v;
      if (values.size < cap) {
        values.add(v);
        return v;
      }
      this.onOverflow(name);
      return OVERFLOW_VALUE;
    };
    this.bounds.set(name, bound);
    return bound;
  }

  /** The values each label has let through so far: they keep their place after a takeover. */
  dump(): Record<string, string[]> {
    return Object.fromEntries([...this.seen].map(([name, values]) => [name, [...values]]));
  }

  restore(state: Readonly<Record<string, readonly string[]>>): void {
    for (const [name, values] of Object.entries(state)) {
      if (!(BOUNDED_LABELS as readonly string[]).includes(name)) continue;
      this.label(name as BoundedLabel);
      const seen = this.seen.get(name) as Set<string>;
      for (const v of values) seen.add(v);
    }
  }

  distinct(label: BoundedLabel): number {
    return this.seen.get(label)?.size ?? 0;
  }
}

/**
 * Label values → a cached metric child, so a hit skips prom-client's label hashing. The
 * values are bounded already (the label stage did it), so the cache is bounded too.
 *
 * The cache is a tree of Maps, one level per label, rather than one Map keyed by the joined
 * values: a lookup then hashes each value (V8 keeps a string's hash) instead of building and
 * hashing a new string on every call.
 */
export class ChildCache<Child> {
  private readonly root: CacheLevel<Child> = new Map();
  private cached = 0;

  constructor(
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
    const child = this.make(values);
    if (this.cached >= this.maxCached) return child;
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
    return child;
  }
}

/** One label's values → the next label's level, or the child at the last label. */
type CacheLevel<Child> = Map<string, CacheLevel<Child> | Child>;
