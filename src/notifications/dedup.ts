/**
 * The last `capacity` message ids, oldest forgotten first. A message redelivered after a
 * lost ack (connection cut between counting and acking) carries the same oslo message_id,
 * so it is recognised here instead of being counted twice.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** true if the id was seen within the window; otherwise remembers it. */
  seen(id: string): boolean {
    if (this.capacity === 0) return false;
    if (this.ids.has(id)) return true;
    if (this.ids.size >= this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    this.ids.add(id);
    return false;
  }
}
