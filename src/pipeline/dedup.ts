/**
 * The last `capacity` message ids, oldest forgotten first. A message redelivered after a
 * lost ack (connection cut between counting and acking) carries the same oslo message_id,
 * so it is recognised here instead of being counted twice.
 *
 * Eviction order comes from a ring, not from the Set's iteration order: V8 leaves deleted
 * entries at the front of a Set's table until it rehashes, so `values().next()` on a Set
 * evicted from the front costs a scan over them (tens of microseconds at 100k ids).
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** The ids remembered, oldest first. */
  dump(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const id = this.ring[(this.next + i) % this.capacity];
      if (id !== undefined) out.push(id);
    }
    return out;
  }

  /** Remembers a dump's ids in order, as if they had been seen again. */
  restore(ids: readonly string[]): void {
    for (const id of ids) this.seen(id);
  }

  /** true if the id was seen within the window; otherwise remembers it. */
  seen(id: string): boolean {
    if (this.capacity === 0) return false;
    if (this.ids.has(id)) return true;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.ids.add(id);
    return false;
  }
}
