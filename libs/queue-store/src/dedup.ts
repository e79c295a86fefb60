/**
 * Dedup ids seen within the window, in expiry order (one Map: insertion order is expiry
 * order because the window is the same for every id).
 */
export class DedupIndex {
  private readonly expiry = new Map<string, number>();
  /** Ids forgotten before their window ran out because there were more than `maxIds`. */
  evicted = 0;

  constructor(private readonly maxIds: number) {}

  get size(): number {
    return this.expiry.size;
  }

  /** True when `id` was added and has not expired at `now` (an expired id is forgotten). */
  has(id: string, now: number): boolean {
    const at = this.expiry.get(id);
    if (at === undefined) return false;
    if (at > now) return true;
    this.expiry.delete(id);
    return false;
  }

  /** Remembers an id that `has` just said is not there. */
  add(id: string, expiresAt: number): void {
    this.expiry.set(id, expiresAt);
    if (this.expiry.size > this.maxIds) {
      const first = this.expiry.keys().next();
      if (!first.done) {
        this.expiry.delete(first.value);
        this.evicted++;
      }
    }
  }

  /** Forgets the ids that expired at or before `now`. */
  prune(now: number): void {
    for (const [id, at] of this.expiry) {
      if (at > now) break;
      this.expiry.delete(id);
    }
  }
}
