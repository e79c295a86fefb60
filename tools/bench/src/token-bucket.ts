// Pacing for rate mode: a token bucket refilled at `ratePerSec`, holding at most `burst`
// tokens, so a late timer tick sends a bounded batch instead of an unbounded catch-up.

export class TokenBucket {
  private tokens = 0;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    startMs: number,
  ) {
    if (!(ratePerSec > 0) || !(burst >= 1)) {
      throw new RangeError(
        `token bucket needs rate > 0 and burst >= 1 (got ${ratePerSec}, ${burst})`,
      );
    }
    this.last = startMs;
  }

  /** How many messages may be sent at `nowMs` (whole tokens, removed from the bucket). */
  take(nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.last);
    this.last = nowMs;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
    const n = Math.floor(this.tokens);
    this.tokens -= n;
    return n;
  }
}
