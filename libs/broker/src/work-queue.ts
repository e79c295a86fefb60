/** One work message: its frames as they will be pushed. */
export type WorkMessage = Buffer[];

/** What `offer` did with the incoming message (evictions of old ones go to `onEvict`). */
export type OfferResult = 'queued' | 'dropped';

/** Bytes of all frames of a message. */
export function messageBytes(frames: readonly Uint8Array[]): number {
  let n = 0;
  for (let i = 0; i < frames.length; i++) n += (frames[i] as Uint8Array).byteLength;
  return n;
}

/**
 * A FIFO of work messages bounded by count and by bytes. When full, `offer` drops either the
 * incoming message (`drop-newest`) or as many of the oldest as needed (`drop-oldest`); the
 * caller counts what it reports. A ring buffer: O(1) push and shift, no per-message allocation
 * beyond the slot.
 */
export class WorkQueue {
  private ring: Array<WorkMessage | undefined>;
  private sizes: Float64Array;
  private head = 0;
  private count = 0;
  private totalBytes = 0;
  /**
   * True while the head is being sent: it still counts against the bounds, and `drop-oldest`
   * evicts the message after it instead, so no message is both delivered and counted dropped.
   */
  headInFlight = false;
  /** Highest depth and bytes seen, for tests and stats. */
  peakLength = 0;
  peakBytes = 0;

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
    readonly overflow: 'drop-newest' | 'drop-oldest',
  ) {
    const initial = Math.min(maxMessages, 1024);
    this.ring = new Array(initial);
    this.sizes = new Float64Array(initial);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Adds a message at the tail, respecting the bounds. Returns `dropped` when the incoming
   * message was refused (`drop-newest` when full, or a message larger than the byte bound);
   * with `drop-oldest`, each evicted message is handed to `onEvict`.
   */
  offer(
    message: WorkMessage,
    size: number,
    onEvict?: (evicted: WorkMessage, bytes: number) => void,
  ): OfferResult {
    if (size > this.maxBytes) return 'dropped';
    const full = (): boolean =>
      this.count >= this.maxMessages || this.totalBytes + size > this.maxBytes;
    if (full()) {
      if (this.overflow === 'drop-newest') return 'dropped';
      const keep = this.headInFlight ? 1 : 0;
      while (this.count > keep && full()) {
        const evicted = keep ? this.removeSecond() : this.shiftWithSize();
        if (onEvict) onEvict(evicted.message, evicted.bytes);
      }
      if (full()) return 'dropped';
    }
    if (this.count === this.ring.length) this.grow();
    const tail = (this.head + this.count) % this.ring.length;
    this.ring[tail] = message;
    this.sizes[tail] = size;
    this.count++;
    this.totalBytes += size;
    if (this.count > this.peakLength) this.peakLength = this.count;
    if (this.totalBytes > this.peakBytes) this.peakBytes = this.totalBytes;
    return 'queued';
  }

  /** The oldest message, without removing it. */
  peek(): WorkMessage | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  /** Removes and returns the oldest message. */
  shift(): WorkMessage | undefined {
    if (this.count === 0) return undefined;
    this.headInFlight = false;
    const message = this.ring[this.head];
    this.totalBytes -= this.sizes[this.head] as number;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    if (this.count === 0) {
      this.head = 0;
      this.totalBytes = 0;
    }
    return message;
  }

  private shiftWithSize(): { message: WorkMessage; bytes: number } {
    const bytes = this.sizes[this.head] as number;
    return { message: this.shift() as WorkMessage, bytes };
  }

  // Drops the second-oldest message: the head moves into its slot.
  private removeSecond(): { message: WorkMessage; bytes: number } {
    const len = this.ring.length;
    const second = (this.head + 1) % len;
    const removed = {
      message: this.ring[second] as WorkMessage,
      bytes: this.sizes[second] as number,
    };
    this.ring[second] = this.ring[this.head];
    this.sizes[second] = this.sizes[this.head] as number;
    this.ring[this.head] = undefined;
    this.head = second;
    this.count--;
    this.totalBytes -= removed.bytes;
    return removed;
  }

  /** Removes everything; returns how many messages and bytes were removed. */
  clear(): { messages: number; bytes: number } {
    const removed = { messages: this.count, bytes: this.totalBytes };
    this.ring = new Array(Math.min(this.maxMessages, 1024));
    this.sizes = new Float64Array(this.ring.length);
    this.head = 0;
    this.count = 0;
    this.totalBytes = 0;
    this.headInFlight = false;
    return removed;
  }

  private grow(): void {
    const capacity = Math.min(this.maxMessages, this.ring.length * 2);
    const ring = new Array<WorkMessage | undefined>(capacity);
    const sizes = new Float64Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.ring.length;
      ring[i] = this.ring[from];
      sizes[i] = this.sizes[from] as number;
    }
    this.ring = ring;
    this.sizes = sizes;
    this.head = 0;
  }
}
