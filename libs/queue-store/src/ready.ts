/**
 * onReady for every store: listeners told once per queue per event-loop turn (a microtask),
 * whatever number of events made the queue ready in that turn; a listener that throws is
 * counted, never stops the others.
 */
import type { ReadyListener } from './types';

export class ReadyNotifier<Q> {
  /** Listeners that threw. */
  errors = 0;
  private readonly listeners: ReadyListener[] = [];
  private readonly marked = new Set<Q>();
  private scheduled = false;

  constructor(
    private readonly nameOf: (q: Q) => string,
    /** Still worth telling when the turn ends (the store is open, the queue has messages). */
    private readonly worth: (q: Q) => boolean,
  ) {}

  listen(listener: ReadyListener): void {
    this.listeners.push(listener);
  }

  mark(q: Q): void {
    this.marked.add(q);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const queues = [...this.marked];
      this.marked.clear();
      for (const rq of queues) {
        if (!this.worth(rq)) continue;
        for (const l of this.listeners) {
          try {
            l(this.nameOf(rq));
          } catch {
            this.errors++;
          }
        }
      }
    });
  }

  /** Forgets what was marked (the store starts over). */
  clear(): void {
    this.marked.clear();
  }
}
