import { parseStatParent, parseStatTicks, parseStatusBytes } from '../src/proc';

describe('/proc parsing', () => {
  it('adds utime and stime, even when the command name has spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 1234 56 0 0 20 0 11 0';
    expect(parseStatTicks(stat)).toBe(1290);
    expect(parseStatParent(stat)).toBe(1);
  });

  it('reads VmHWM and VmRSS in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    expect(parseStatusBytes(status, 'VmHWM')).toBe(204800 * 1024);
    expect(parseStatusBytes(status, 'VmRSS')).toBe(102400 * 1024);
    expect(parseStatusBytes(status, 'VmSwap')).toBeNaN();
  });
});
