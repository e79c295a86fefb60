// A FIFO of numbers (publish tokens waiting for their confirm), without an allocation per entry.

export class TokenQueue {
  private items = new Float64Array(1024);
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(token: number): void {
    if (this.tail === this.items.length) {
      const live = this.items.subarray(this.head, this.tail);
      const next =
        live.length * 2 > this.items.length ? new Float64Array(this.items.length * 2) : this.items;
      next.set(live);
      this.tail -= this.head;
      this.head = 0;
      this.items = next;
    }
    this.items[this.tail++] = token;
  }

  /** The oldest token, or undefined when empty. */
  shift(): number | undefined {
    if (this.head === this.tail) return undefined;
    const token = this.items[this.head++];
    if (this.head === this.tail) this.head = this.tail = 0;
    return token;
  }
}
