/**
 * A FIFO of messages (frame lists) with O(1) push and shift: an array read from a moving head
 * and compacted now and then, so a long queue never pays Array#shift's copying.
 */
export class FrameQueue {
  private items: (Buffer[] | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(frames: Buffer[]): void {
    this.items.push(frames);
  }

  /** The oldest message, left in place. */
  peek(): Buffer[] | undefined {
    return this.items[this.head];
  }

  /** Removes and returns the oldest message. */
  shift(): Buffer[] | undefined {
    if (this.head >= this.items.length) return undefined;
    const frames = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return frames;
  }

  /** Empties the queue; returns how many messages were in it. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    return n;
  }
}
