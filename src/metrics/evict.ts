/**
 * Deletes up to `count` of a Map's oldest entries (insertion order) in one pass and returns
 * them. Capped tables evict in batches because V8 leaves deleted entries at the front of a
 * Map's table until it rehashes: taking the oldest one at a time would scan all of those
 * again on every insert once the table is full.
 */
export function evictOldest<K, V>(map: Map<K, V>, count: number): [K, V][] {
  const evicted: [K, V][] = [];
  for (const entry of map) {
    if (evicted.length >= count) break;
    evicted.push(entry);
  }
  for (const [key] of evicted) map.delete(key);
  return evicted;
}

/** A batch of about 1% of the cap, at least one entry. */
export function evictionBatch(cap: number): number {
  return Math.max(1, Math.floor(cap / 100));
}
