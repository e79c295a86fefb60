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

/** Size of the byte arenas that hold queued single-frame messages. */
const ARENA_BYTES = 1024 * 1024;
/**
 * Single-frame messages up to this size are copied into an arena; larger ones are kept as
 * received (no copy), where a Buffer object's ~100 bytes of overhead matter little.
 */
const ARENA_MAX_MESSAGE = 1024;
/**
 * A frame that is a view into a larger buffer (the tap's stream chunk) would keep all of it
 * alive while queued: such a frame gets a buffer of its own.
 */
function ownCopy(frame: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(frame.byteLength);
  own.set(frame);
  return own;
}

/** Marks an entry whose `store` slot holds a frames array (multipart) instead of an arena. */
const MULTIPART = -1;

/**
 * A FIFO of work messages bounded by count and by bytes. When full, `offer` drops either the
 * incoming message (`drop-newest`) or as many of the oldest as needed (`drop-oldest`); the
 * caller counts what it reports.
 *
 * Memory is what the bounds say, not a multiple of it: a queued single-frame message of up
 * to 1 KiB is copied into a shared 1 MiB arena and indexed by offset and size in typed arrays,
 * so a 100-byte message costs about 120 bytes instead of a Buffer object and an array each
 * (~650 bytes measured). Larger messages are kept as received unless they are a view into a
 * larger buffer; multipart messages keep copies of their frames. A ring index: O(1) offer and shift.
 */
export class WorkQueue {
  private store: Array<Buffer | WorkMessage | undefined>;
  private offsets: Int32Array;
  private sizes: Uint32Array;
  /** When each message was queued: `clockSeconds` at the time (4 bytes a message, no clock read). */
  private queuedAt: Uint32Array;
  private head = 0;
  private count = 0;
  private totalBytes = 0;
  private arena: Buffer | undefined;
  private arenaUsed = 0;
  /**
   * True while the head is being sent: it still counts against the bounds, and `drop-oldest`
   * evicts the message after it instead, so no message is both delivered and counted dropped.
   */
  headInFlight = false;
  /** Highest depth and bytes seen, for tests and stats. */
  peakLength = 0;
  peakBytes = 0;
  /**
   * The clock `offer` stamps messages with (whole seconds since the epoch), set by the owner
   * (the broker ticks it once a second): a clock read per message measured 45 ns, about 3 % of
   * the work path's JavaScript per message, a field read well under 1 ns.
   */
  clockSeconds = Math.floor(Date.now() / 1000);

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
    readonly overflow: 'drop-newest' | 'drop-oldest',
  ) {
    const initial = Math.min(maxMessages, 1024);
    this.store = new Array(initial);
    this.offsets = new Int32Array(initial);
    this.sizes = new Uint32Array(initial);
    this.queuedAt = new Uint32Array(initial);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** When the oldest message was queued (`clockSeconds` then); undefined when empty. */
  get oldestQueuedAt(): number | undefined {
    return this.count === 0 ? undefined : (this.queuedAt[this.head] as number);
  }

  /**
   * How long the oldest message has waited at `now` (ms; 0 when empty). Never less than the
   * truth, and at most a second over it plus the time since the clock's last tick.
   */
  oldestAgeMs(now = Date.now()): number {
    const at = this.oldestQueuedAt;
    return at === undefined ? 0 : Math.max(0, now - at * 1000);
  }

  /**
   * Copies a message in at the tail, respecting the bounds. Returns `dropped` when the
   * incoming message was refused (`drop-newest` when full, or a message larger than the byte
   * bound); with `drop-oldest`, each evicted message is handed to `onEvict`.
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
        const at = keep ? (this.head + 1) % this.store.length : this.head;
        const bytes = this.sizes[at] as number;
        const evicted = onEvict ? this.messageAt(at) : undefined;
        if (keep) this.removeSecond();
        else this.removeHead();
        if (onEvict) onEvict(evicted as WorkMessage, bytes);
      }
      if (full()) return 'dropped';
    }
    if (this.count === this.store.length) this.grow();
    const tail = (this.head + this.count) % this.store.length;
    this.place(tail, message, size);
    this.sizes[tail] = size;
    this.queuedAt[tail] = this.clockSeconds;
    this.count++;
    this.totalBytes += size;
    if (this.count > this.peakLength) this.peakLength = this.count;
    if (this.totalBytes > this.peakBytes) this.peakBytes = this.totalBytes;
    return 'queued';
  }

  /** The oldest message (views on queue memory), without removing it. */
  peek(): WorkMessage | undefined {
    return this.count === 0 ? undefined : this.messageAt(this.head);
  }

  /** Removes and returns the oldest message. */
  shift(): WorkMessage | undefined {
    if (this.count === 0) return undefined;
    const message = this.messageAt(this.head);
    this.removeHead();
    return message;
  }

  /** Removes the oldest message without building it. */
  removeHead(): void {
    if (this.count === 0) return;
    this.headInFlight = false;
    this.totalBytes -= this.sizes[this.head] as number;
    this.store[this.head] = undefined;
    this.head = (this.head + 1) % this.store.length;
    this.count--;
    if (this.count === 0) {
      this.head = 0;
      this.totalBytes = 0;
    }
  }

  /** Removes everything; returns how many messages and bytes were removed. */
  clear(): { messages: number; bytes: number } {
    const removed = { messages: this.count, bytes: this.totalBytes };
    const initial = Math.min(this.maxMessages, 1024);
    this.store = new Array(initial);
    this.offsets = new Int32Array(initial);
    this.sizes = new Uint32Array(initial);
    this.queuedAt = new Uint32Array(initial);
    this.head = 0;
    this.count = 0;
    this.totalBytes = 0;
    this.headInFlight = false;
    this.arena = undefined;
    this.arenaUsed = 0;
    return removed;
  }

  private place(slot: number, message: WorkMessage, size: number): void {
    if (message.length !== 1) {
      this.store[slot] = message.map((frame) => Buffer.from(frame));
      this.offsets[slot] = MULTIPART;
      return;
    }
    const frame = message[0] as Buffer;
    if (size > ARENA_MAX_MESSAGE) {
      this.store[slot] = frame.byteLength === frame.buffer.byteLength ? frame : ownCopy(frame);
      this.offsets[slot] = 0;
      return;
    }
    if (this.arena === undefined || this.arenaUsed + size > ARENA_BYTES) {
      this.arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
      this.arenaUsed = 0;
    }
    this.arena.set(frame, this.arenaUsed);
    this.store[slot] = this.arena;
    this.offsets[slot] = this.arenaUsed;
    this.arenaUsed += size;
  }

  private messageAt(slot: number): WorkMessage {
    const stored = this.store[slot];
    const offset = this.offsets[slot] as number;
    if (offset === MULTIPART) return stored as WorkMessage;
    return [(stored as Buffer).subarray(offset, offset + (this.sizes[slot] as number))];
  }

  // Drops the second-oldest message: the head moves into its slot.
  private removeSecond(): void {
    const len = this.store.length;
    const second = (this.head + 1) % len;
    this.totalBytes -= this.sizes[second] as number;
    this.store[second] = this.store[this.head];
    this.offsets[second] = this.offsets[this.head] as number;
    this.sizes[second] = this.sizes[this.head] as number;
    this.queuedAt[second] = this.queuedAt[this.head] as number;
    this.store[this.head] = undefined;
    this.head = second;
    this.count--;
  }

  private grow(): void {
    const capacity = Math.min(this.maxMessages, this.store.length * 2);
    const store = new Array<Buffer | WorkMessage | undefined>(capacity);
    const offsets = new Int32Array(capacity);
    const sizes = new Uint32Array(capacity);
    const queuedAt = new Uint32Array(capacity);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.store.length;
      store[i] = this.store[from];
      offsets[i] = this.offsets[from] as number;
      sizes[i] = this.sizes[from] as number;
      queuedAt[i] = this.queuedAt[from] as number;
    }
    this.store = store;
    this.offsets = offsets;
    this.sizes = sizes;
    this.queuedAt = queuedAt;
    this.head = 0;
  }
}
