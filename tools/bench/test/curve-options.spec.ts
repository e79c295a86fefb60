import { parseOptions } from '../src/options';

describe('--curve', () => {
  it('compares our broker with and without CURVE: zeromq.js load, saturation, 100 B and 16 KiB', () => {
    const o = parseOptions(['--curve']);
    expect(o.curve).toBe(true);
    expect(o.brokers).toEqual(['ours', 'ours-curve']);
    expect(o.meter).toBe('zeromq');
    expect(o.payloads).toEqual([100, 16384]);
    expect(o.producers).toEqual([1]);
    expect([o.saturation, o.rateSearch, o.memory]).toEqual([true, false, false]);
    expect(o.name).toBe('curve');
    expect(parseOptions(['--curve', '--payloads', '1024', '--producers', '4']).payloads).toEqual([
      1024,
    ]);
  });

  it('refuses the lean ZMTP meter with CURVE, and keeps ours-curve out of the default brokers', () => {
    expect(() => parseOptions(['--curve', '--meter', 'zmtp'])).toThrow(
      /CURVE needs --meter zeromq/,
    );
    expect(() => parseOptions(['--brokers', 'ours-curve', '--meter', 'zmtp'])).toThrow(
      /CURVE needs --meter zeromq/,
    );
    expect(parseOptions(['--brokers', 'ours,ours-curve']).meter).toBe('zeromq');
    expect(parseOptions([]).brokers).not.toContain('ours-curve');
    expect(parseOptions([]).meter).toBe('zmtp');
  });
});
