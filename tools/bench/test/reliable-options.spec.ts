import { parseOptions } from '../src/options';

describe('--reliable options', () => {
  it('runs only the durable-queue scenario: 100 B and 1 KiB, 1 and 4 producers, windows of 1,000', () => {
    const o = parseOptions(['--reliable']);
    expect(o.reliable).toBe(true);
    expect(o.payloads).toEqual([100, 1024]);
    expect(o.producers).toEqual([1, 4]);
    expect(o.systems).toEqual(['zmq-mq', 'zmq-mq-jetstream', 'jetstream', 'rabbitmq']);
    expect(o.confirmWindow).toBe(1000);
    expect(o.prefetch).toBe(1000);
    expect([o.saturation, o.rateSearch, o.memory, o.profile]).toEqual([false, false, false, false]);
    expect(o.name).toBe('reliable');
  });

  it('with --quick: 100 B and 1 producer only', () => {
    const o = parseOptions(['--reliable', '--quick']);
    expect(o.payloads).toEqual([100]);
    expect(o.producers).toEqual([1]);
    expect(o.name).toBe('reliable-quick');
  });

  it('takes systems, windows and the usual matrix flags', () => {
    const o = parseOptions([
      '--reliable',
      '--systems',
      'jetstream, rabbitmq',
      '--confirm-window',
      '500',
      '--prefetch',
      '250',
      '--payloads',
      '1024',
      '--window',
      '5000',
    ]);
    expect(o.systems).toEqual(['jetstream', 'rabbitmq']);
    expect([o.confirmWindow, o.prefetch, o.windowMs]).toEqual([500, 250, 5000]);
    expect(o.payloads).toEqual([1024]);
  });

  it('leaves the best-effort benchmark as it was without --reliable', () => {
    const o = parseOptions([]);
    expect(o.reliable).toBe(false);
    expect(o.payloads).toEqual([100, 1024, 16384, 65536]);
    expect(o.saturation).toBe(true);
    expect(o.name).toBe('full');
    expect(parseOptions(['--quick']).name).toBe('quick');
  });

  it('refuses an unknown system, a bad window and durable-queue flags without --reliable', () => {
    expect(() => parseOptions(['--reliable', '--systems', 'kafka'])).toThrow(
      'unknown system "kafka"',
    );
    expect(() => parseOptions(['--reliable', '--prefetch', '0'])).toThrow(
      '--prefetch must be a positive number, got 0',
    );
    expect(() => parseOptions(['--systems', 'jetstream'])).toThrow('--systems needs --reliable');
    expect(() => parseOptions(['--confirm-window', '10'])).toThrow(
      '--confirm-window needs --reliable',
    );
  });
});
