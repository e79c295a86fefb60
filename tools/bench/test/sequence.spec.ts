import { SequenceTracker, lossRatio, pathCount } from '../src/sequence';

describe('SequenceTracker and pathCount', () => {
  it('counts nothing lost when every number arrives once', () => {
    const t = new SequenceTracker();
    for (let s = 1; s <= 100; s++) t.record(0, s);
    const { duplicates, reordered } = t.counts();
    const c = pathCount({ '0': 100 }, t.distinctByProducer(), duplicates, reordered);
    expect(c).toEqual({ delivered: 100, lost: 0, duplicates: 0, reordered: 0 });
    expect(lossRatio(c)).toBe(0);
  });

  it('counts gaps in the middle and a lost tail per producer', () => {
    const t = new SequenceTracker();
    for (let s = 1; s <= 10; s++) if (s !== 4 && s !== 5) t.record(0, s);
    for (let s = 1; s <= 7; s++) t.record(1, s); // producer 1 sent 10: 8..10 never arrived
    const c = pathCount({ '0': 10, '1': 10 }, t.distinctByProducer(), 0, 0);
    expect(c.delivered).toBe(15);
    expect(c.lost).toBe(5);
    expect(lossRatio(c)).toBeCloseTo(0.25);
  });

  it('counts a producer that was never heard of as all lost', () => {
    const c = pathCount({ '0': 5, '3': 5 }, { '0': 5 }, 0, 0);
    expect(c.lost).toBe(5);
  });

  it('tells duplicates and late arrivals apart', () => {
    const t = new SequenceTracker();
    expect(t.record(2, 1)).toBe(true);
    expect(t.record(2, 3)).toBe(true);
    expect(t.record(2, 3)).toBe(false);
    expect(t.record(2, 2)).toBe(true);
    expect(t.counts()).toEqual({ duplicates: 1, reordered: 1 });
    expect(t.distinctByProducer()).toEqual({ '2': 3 });
  });

  it('grows to large sequence numbers', () => {
    const t = new SequenceTracker();
    t.record(0, 5_000_000);
    expect(t.record(0, 5_000_000)).toBe(false);
    expect(t.record(0, 1)).toBe(true);
  });
});
