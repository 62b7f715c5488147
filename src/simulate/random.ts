/**
 * Seeded PRNG for the traffic simulator. Math.random cannot be seeded, and `--seed` must
 * replay the same traffic byte for byte (ids included), so every random choice in
 * src/simulate goes through one of these.
 */

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Uniform float in [min, max). */
  float(min: number, max: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** true with probability p (p <= 0 never, p >= 1 always). */
  chance(p: number): boolean;
  /** Exponentially distributed delay with the given mean: gaps between independent arrivals. */
  exponential(mean: number): number;
  /** `n` lower-case hex digits. */
  hex(n: number): string;
  /** RFC 4122 version-4 shaped uuid (random from this generator, not crypto). */
  uuid(): string;
}

/**
 * mulberry32: 32-bit state, fast, good enough statistically for test traffic and, unlike
 * larger generators, trivially reproducible from a single integer seed.
 */
export function createRng(seed: number): Rng {
  // Fold any number (negative, fractional, > 2^32) into a 32-bit state.
  let state = Math.trunc(seed) >>> 0;

  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  const int = (min: number, max: number): number => {
    if (max < min) throw new RangeError(`int(${min}, ${max}): max < min`);
    return min + Math.floor(next() * (max - min + 1));
  };

  const hex = (n: number): string => {
    let out = '';
    while (out.length < n)
      out += Math.floor(next() * 0x10000)
        .toString(16)
        .padStart(4, '0');
    return out.slice(0, n);
  };

  return {
    next,
    int,
    float: (min, max) => min + next() * (max - min),
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick() from an empty array');
      return items[int(0, items.length - 1)] as T;
    },
    chance: (p) => (p <= 0 ? false : p >= 1 ? true : next() < p),
    // 1 - next() is in (0, 1], so the log is finite.
    exponential: (mean) => -Math.log(1 - next()) * mean,
    hex,
    uuid() {
      const h = hex(32);
      const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
}
