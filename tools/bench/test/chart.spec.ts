import { barPanel, niceMax } from '../src/chart';

describe('chart', () => {
  it('picks 1-2-5 axis maxima', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(61_000)).toBe(100_000);
    expect(niceMax(140_000)).toBe(200_000);
    expect(niceMax(5)).toBe(5);
  });

  it('draws one bar per present value, scaled to the axis, with escaped labels', () => {
    const svg = barPanel(
      'T',
      'msg/s',
      [
        { id: 'a', label: 'A <x>' },
        { id: 'b', label: 'B' },
      ],
      [
        { label: 'g1', values: { a: 50, b: 100 } },
        { label: 'g2', values: { a: null, b: 25 } },
      ],
      0,
    );
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights).toHaveLength(3);
    expect(heights[1]! / heights[0]!).toBeCloseTo(2, 1);
    expect(svg).toContain('A &lt;x&gt;');
    expect(svg).not.toContain('A <x>');
  });
});
