// The rate search: the highest offered rate a trial passes (loss under the limit on every
// path), found by bracketing and bisection, then confirmed by repeat runs at that rate.

export interface SearchOptions {
  /** First rate tried (e.g. what saturation delivered). */
  start: number;
  /** Give up below this rate. */
  minRate: number;
  /** Stop bisecting when the bracket is narrower than this fraction of its low end. */
  precision: number;
  /** Bound on bracketing/bisection trials (confirmations come on top). */
  maxTrials: number;
  /** Passing repeat runs the found rate needs. */
  confirmations: number;
}

export interface Trial {
  rate: number;
  pass: boolean;
}

/** Rates are rounded to 2 significant digits below 100k and 3 above, so reports stay readable. */
export function roundRate(rate: number): number {
  if (rate <= 0) return 0;
  const digits = rate >= 100_000 ? 3 : 2;
  const unit = 10 ** (Math.floor(Math.log10(rate)) - digits + 1);
  return Math.max(1, Math.round(rate / unit) * unit);
}

/**
 * Finds the highest rate that passes and then passes `confirmations` more times. A failed
 * confirmation lowers the rate by 10% (or twice the precision) and confirms again; once a
 * lowered rate holds, the rates between it and the one that failed are bisected back to the
 * precision, each candidate confirmed the same way (a 10 % step alone would understate the
 * rate by up to 10 %). Every loop is bounded: at most maxTrials + (9 + 3) * (confirmations + 1)
 * trials in all.
 */
export async function searchRate(
  trial: (rate: number) => Promise<boolean>,
  options: SearchOptions,
): Promise<{ rate: number | null; trials: Trial[] }> {
  const trials: Trial[] = [];
  const run = async (rate: number): Promise<boolean> => {
    const pass = await trial(rate);
    trials.push({ rate, pass });
    return pass;
  };
  let lo = 0;
  let hi = Infinity;
  let rate = roundRate(options.start);
  for (let i = 0; i < options.maxTrials; i++) {
    if (await run(rate)) lo = rate;
    else hi = rate;
    let next: number;
    if (hi === Infinity) next = rate * 1.5;
    else if (lo === 0) next = rate / 2;
    else if ((hi - lo) / lo <= options.precision) break;
    else next = (lo + hi) / 2;
    next = roundRate(next);
    if (next < options.minRate) break;
    if (next === lo || next === hi) break;
    rate = next;
  }
  if (lo === 0) return { rate: null, trials };

  // `lo` passed once; it needs `confirmations` more passes in a row.
  const confirm = async (candidate: number, passes: number): Promise<boolean> => {
    let passed = 0;
    while (passed < passes && (await run(candidate))) passed++;
    return passed === passes;
  };
  const step = 1 - Math.max(2 * options.precision, 0.1);
  // Eight steps down (to 0.43x of the first): on this 2-core box a noisy stretch can fail
  // confirmations several steps in a row (native mode once failed 1,010k down to 662k).
  let failed = Infinity;
  for (let lowered = 0; lowered <= 8; lowered++) {
    // A lowered rate has not passed yet: like every rate reported, it passes 1 + confirmations.
    const passes = lowered === 0 ? options.confirmations : options.confirmations + 1;
    if (await confirm(lo, passes)) return { rate: await refine(lo, failed), trials };
    failed = lo;
    lo = roundRate(lo * step);
    if (lo < options.minRate) break;
  }
  return { rate: null, trials };

  // Between a confirmed rate and a higher one that failed: a candidate must pass once and then
  // `confirmations` more times, as the first rate did. At most three halvings.
  async function refine(confirmed: number, failedAbove: number): Promise<number> {
    let good = confirmed;
    let bad = failedAbove;
    for (let i = 0; i < 3 && bad !== Infinity && (bad - good) / good > options.precision; i++) {
      const mid = roundRate((good + bad) / 2);
      if (mid <= good || mid >= bad) break;
      if (await confirm(mid, options.confirmations + 1)) good = mid;
      else bad = mid;
    }
    return good;
  }
}
