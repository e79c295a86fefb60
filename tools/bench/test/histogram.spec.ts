import { Histogram } from '../src/histogram';

describe('Histogram', () => {
  it('returns NaN quantiles when empty', () => {
    expect(new Histogram().quantile(0.5)).toBeNaN();
  });

  it('gives exact quantiles for small values', () => {
    const h = new Histogram();
    for (let v = 1; v <= 50; v++) h.record(v);
    expect(h.quantile(0.5)).toBe(25);
    expect(h.quantile(1)).toBe(50);
    expect(h.quantile(0)).toBe(1);
  });

  it('keeps large values within 2% of the true quantile', () => {
    const h = new Histogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 1000 + i * 997);
    for (const v of values) h.record(v);
    for (const q of [0.5, 0.99, 0.999]) {
      const exact = values[Math.ceil(q * values.length) - 1] as number;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.02);
    }
  });

  it('finds the tail: p99 and p999 see a 1% slow minority', () => {
    const h = new Histogram();
    for (let i = 0; i < 990; i++) h.record(100_000);
    for (let i = 0; i < 10; i++) h.record(50_000_000);
    expect(h.quantile(0.5)).toBeLessThan(102_000);
    expect(h.quantile(0.99)).toBeLessThan(102_000);
    expect(h.quantile(0.999)).toBeGreaterThan(49_000_000);
  });

  it('clamps values past its top instead of losing them', () => {
    const h = new Histogram();
    h.record(1000);
    h.record(2 ** 40 + 5);
    h.record(2 ** 45);
    expect(h.quantile(1)).toBeGreaterThan(2 ** 40 * 0.98);
    expect(h.quantile(1)).toBeLessThan(2 ** 41);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('survives the sparse round trip used over IPC', () => {
    const h = new Histogram();
    for (const v of [5, 5, 700, 12_345, 9_999_999]) h.record(v);
    const copy = Histogram.fromSparse(JSON.parse(JSON.stringify(h.toSparse())));
    expect(copy.total).toBe(5);
    for (const q of [0.2, 0.5, 0.8, 1]) expect(copy.quantile(q)).toBeCloseTo(h.quantile(q), 6);
  });
});
