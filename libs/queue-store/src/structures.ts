/**
 * Small containers of the in-memory index: a FIFO ring, a binary min-heap and a one-shot
 * timer that keeps the earliest of the times it is armed for.
 */

/** FIFO queue on a growable ring buffer: push, shift and peek in O(1). */
export class Deque<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & (this.items.length - 1)] = item;
    this.size++;
  }

  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return item;
  }

  /** Items in FIFO order (a copy). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) {
      out.push(this.items[(this.head + i) & (this.items.length - 1)] as T);
    }
    return out;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.size; i++) {
      next[i] = this.items[(this.head + i) & (this.items.length - 1)];
    }
    this.items = next;
    this.head = 0;
  }
}

/** Binary min-heap ordered by a numeric key taken from each item. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly key: (item: T) => number) {}

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    const k = this.key(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as T;
      if (this.key(p) <= k) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0] as T;
    const last = a.pop() as T;
    if (a.length > 0) {
      let i = 0;
      const k = this.key(last);
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && this.key(a[r] as T) < this.key(a[l] as T) ? r : l;
        if (this.key(a[c] as T) >= k) break;
        a[i] = a[c] as T;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  /** Every item, in no particular order (a copy). */
  toArray(): T[] {
    return [...this.items];
  }
}

/**
 * A timer for the earliest of the times it is armed for (ms since the epoch). Unref'd: it
 * never keeps the process alive. `fire` runs once per expiry; arm again from it as needed.
 */
export class Alarm {
  private timer: NodeJS.Timeout | undefined;
  private at = Infinity;

  constructor(private readonly fire: () => void) {}

  arm(at: number): void {
    if (at >= this.at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Infinity;
        this.fire();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}

/**
 * The item of `items` (runs of seqs in ascending, non-overlapping order: `firstSeq` and a
 * `length`) that holds `seq`, by binary search; undefined when none does.
 */
export function runHolding<T extends { firstSeq: number }>(
  items: readonly T[],
  seq: number,
  length: (item: T) => number,
): T | undefined {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = items[mid] as T;
    if (seq < c.firstSeq) hi = mid - 1;
    else if (seq >= c.firstSeq + length(c)) lo = mid + 1;
    else return c;
  }
  return undefined;
}
