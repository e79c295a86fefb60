// A wake-up for a loop that waits on callbacks without a Promise per callback.

/**
 * `wait()` while blocked, `wake()` when unblocked: one Promise per wait, none per wake, so a
 * confirm callback costs nothing when nobody waits.
 */
export class Signal {
  private waiter: (() => void) | null = null;
  private pending: Promise<void> | null = null;

  wait(): Promise<void> {
    this.pending ??= new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
    return this.pending;
  }

  wake(): void {
    const w = this.waiter;
    this.waiter = null;
    this.pending = null;
    w?.();
  }
}
