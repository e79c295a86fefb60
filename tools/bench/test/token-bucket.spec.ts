import { TokenBucket } from '../src/token-bucket';

describe('TokenBucket', () => {
  it('releases the rate over time, whole messages only', () => {
    const b = new TokenBucket(1000, 100, 0);
    let sent = 0;
    for (let t = 1; t <= 1000; t++) sent += b.take(t);
    expect(sent).toBe(1000);
  });

  it('carries fractions between ticks', () => {
    const b = new TokenBucket(500, 10, 0);
    expect(b.take(1)).toBe(0);
    expect(b.take(2)).toBe(1);
  });

  it('caps a late tick at the burst', () => {
    const b = new TokenBucket(100_000, 500, 0);
    expect(b.take(1000)).toBe(500);
    expect(b.take(1000)).toBe(0);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(RangeError);
  });
});
