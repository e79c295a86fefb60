import type { Logger } from './logger';
import type { BrokerStats } from './stats';
import type { WorkQueue } from './work-queue';

/**
 * Drop summaries in the log: every interval, one `warn` line with every drop and malformed
 * counter, when they changed since the last line (nothing while all are zero).
 */
export class DropLog {
  private timer: NodeJS.Timeout | undefined;
  private last = '';

  constructor(
    private readonly log: Logger,
    private readonly counters: BrokerStats,
    private readonly queue: WorkQueue,
  ) {}

  /** Checks every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => this.logChanges(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and logs the last change, if there is one. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.logChanges();
  }

  private logChanges(): void {
    const s = this.counters;
    const summary = JSON.stringify([s.dropped, s.malformed]);
    if (summary === this.last) return;
    const first = this.last === '';
    this.last = summary;
    if (first && s.totalDropped() === 0 && Object.values(s.malformed).every((n) => n === 0)) return;
    this.log.warn(
      { dropped: { ...s.dropped }, malformed: { ...s.malformed }, queueDepth: this.queue.length },
      'drops and malformed messages so far',
    );
  }
}
