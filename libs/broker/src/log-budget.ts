/** Lines of one kind logged at once before the budget applies. */
export const LOG_BURST_LINES = 20;
/** Lines of one kind per second past the burst. */
export const LOG_LINES_PER_SECOND = 2;

/**
 * A budget of log lines per kind (a token bucket: LOG_BURST_LINES at once, then
 * LOG_LINES_PER_SECOND), so that a peer that opens connections by the thousand cannot flood
 * the log: the counters count every event, the log shows a sample. A line that may be logged
 * says how many of its kind were not (`notLogged`).
 */
export class LogBudget {
  private readonly kinds = new Map<string, { tokens: number; at: number; skipped: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Whether a line of `kind` may be logged now: undefined if not (it is counted), else the
   * number of lines of that kind not logged since the last one.
   */
  take(kind: string): number | undefined {
    const now = this.now();
    let k = this.kinds.get(kind);
    if (k === undefined) {
      k = { tokens: LOG_BURST_LINES, at: now, skipped: 0 };
      this.kinds.set(kind, k);
    }
    k.tokens = Math.min(LOG_BURST_LINES, k.tokens + ((now - k.at) / 1000) * LOG_LINES_PER_SECOND);
    k.at = now;
    if (k.tokens < 1) {
      k.skipped++;
      return undefined;
    }
    k.tokens--;
    const skipped = k.skipped;
    k.skipped = 0;
    return skipped;
  }
}
