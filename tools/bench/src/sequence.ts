// Loss and duplicate counting by sequence numbers, per producer. A producer numbers its
// measured messages 1..sent; what a path never delivered is loss wherever it was dropped
// (the producer's own PUB high-water mark included).

export interface PathCount {
  /** Distinct messages delivered. */
  delivered: number;
  /** Messages sent but never delivered. */
  lost: number;
  /** Deliveries of a sequence number already seen. */
  duplicates: number;
  /** Deliveries that arrived after a higher sequence number from the same producer. */
  reordered: number;
}

/** Tracks which sequence numbers arrived from each producer (a growable bitset each). */
export class SequenceTracker {
  private readonly seen = new Map<number, Uint8Array>();
  private readonly highest = new Map<number, number>();
  private duplicates = 0;
  private reordered = 0;
  private distinct = new Map<number, number>();

  /** Records one delivery; returns false for a duplicate. */
  record(producer: number, seq: number): boolean {
    let bits = this.seen.get(producer);
    const byte = seq >>> 3;
    if (!bits || byte >= bits.length) {
      const grown = new Uint8Array(Math.max(1024, (byte + 1) * 2));
      if (bits) grown.set(bits);
      bits = grown;
      this.seen.set(producer, bits);
    }
    const mask = 1 << (seq & 7);
    if ((bits[byte] as number) & mask) {
      this.duplicates++;
      return false;
    }
    bits[byte] = (bits[byte] as number) | mask;
    this.distinct.set(producer, (this.distinct.get(producer) ?? 0) + 1);
    const top = this.highest.get(producer) ?? 0;
    if (seq < top) this.reordered++;
    else this.highest.set(producer, seq);
    return true;
  }

  /** Distinct deliveries per producer id. */
  distinctByProducer(): Record<string, number> {
    return Object.fromEntries([...this.distinct].map(([p, n]) => [String(p), n]));
  }

  counts(): { duplicates: number; reordered: number } {
    return { duplicates: this.duplicates, reordered: this.reordered };
  }
}

/**
 * Loss on one path: `sent[p]` is how many measured messages producer p sent (numbered 1..n),
 * `distinct[p]` how many of them the path delivered.
 */
export function pathCount(
  sent: Record<string, number>,
  distinct: Record<string, number>,
  duplicates: number,
  reordered: number,
): PathCount {
  let delivered = 0;
  let lost = 0;
  for (const [producer, n] of Object.entries(sent)) {
    const got = Math.min(distinct[producer] ?? 0, n);
    delivered += got;
    lost += n - got;
  }
  return { delivered, lost, duplicates, reordered };
}

/** Loss as a fraction of what was sent (0 when nothing was sent). */
export function lossRatio(count: PathCount): number {
  const sent = count.delivered + count.lost;
  return sent === 0 ? 0 : count.lost / sent;
}
