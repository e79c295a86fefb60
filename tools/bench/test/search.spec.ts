import { roundRate, searchRate } from '../src/search';

const options = { start: 100_000, minRate: 1000, precision: 0.05, maxTrials: 10, confirmations: 2 };

describe('searchRate', () => {
  it('finds a threshold below the start within the precision', async () => {
    const { rate, trials } = await searchRate(async (r) => r <= 61_000, options);
    expect(rate).not.toBeNull();
    expect(rate!).toBeLessThanOrEqual(61_000);
    expect(rate!).toBeGreaterThan(61_000 * 0.9);
    expect(trials.slice(-2).every((t) => t.pass && t.rate === rate)).toBe(true);
  });

  it('climbs above the start when the start passes', async () => {
    const { rate } = await searchRate(async (r) => r <= 240_000, options);
    expect(rate!).toBeGreaterThan(200_000);
    expect(rate!).toBeLessThanOrEqual(240_000);
  });

  it('lowers the rate when a confirmation fails', async () => {
    let calls = 0;
    const flaky = async (r: number): Promise<boolean> => {
      calls++;
      // passes 50k the first time only; 47k and below always
      return r <= 47_500 || (r <= 50_000 && calls < 8);
    };
    const { rate } = await searchRate(flaky, { ...options, start: 50_000 });
    expect(rate!).toBeLessThanOrEqual(47_500);
  });

  it('after a step down holds, bisects back up between it and the rate that failed', async () => {
    let calls = 0;
    // 50k passes only the first time; the real threshold is 48.5k, which a 10 % step down
    // (to 45k) alone would understate.
    const flaky = async (r: number): Promise<boolean> => {
      calls++;
      return r <= 48_500 || (r <= 50_000 && calls < 8);
    };
    const { rate, trials } = await searchRate(flaky, { ...options, start: 50_000 });
    expect(trials.some((t) => t.rate === 45_000 && t.pass)).toBe(true);
    expect(rate!).toBeLessThanOrEqual(48_500);
    expect(rate!).toBeGreaterThanOrEqual(48_500 * (1 - options.precision));
    // the reported rate passed three times in a row, as the first confirmed rate must
    const last = trials.slice(-3);
    expect(last.every((t) => t.pass && t.rate === rate)).toBe(true);
  });

  it('a lowered rate passes three runs in a row before it is reported', async () => {
    const runs = new Map<number, number>();
    // 50k passes once, in the bracketing; 45k (the step down) passes twice and then fails;
    // everything between them fails; 41k and below always pass.
    const trial = async (r: number): Promise<boolean> => {
      const n = (runs.get(r) ?? 0) + 1;
      runs.set(r, n);
      if (r === 50_000) return n === 1;
      if (r === 45_000) return n <= 2;
      return r < 45_000;
    };
    const { rate, trials } = await searchRate(trial, { ...options, start: 50_000 });
    expect(rate).not.toBeNull();
    const last = trials.slice(-3);
    expect(last.every((t) => t.pass && t.rate === rate)).toBe(true);
  });

  it('returns null when nothing passes, in a bounded number of trials', async () => {
    const { rate, trials } = await searchRate(async () => false, options);
    expect(rate).toBeNull();
    expect(trials.length).toBeLessThanOrEqual(options.maxTrials);
  });
});

describe('roundRate', () => {
  it('keeps 2 significant digits below 100k and 3 above', () => {
    expect(roundRate(61_234)).toBe(61_000);
    expect(roundRate(123_456)).toBe(123_000);
    expect(roundRate(999)).toBe(1000);
  });
});
