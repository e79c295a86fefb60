import { execFileSync } from 'node:child_process';
import { raiseFileLimit, readFileLimits } from '../src';

describe('the open-file limit', () => {
  it('reads this process limits, the soft one at the hard one (Node raises it as it starts)', () => {
    const limits = readFileLimits();
    expect(limits).toBeDefined();
    expect(limits!.soft).toBeGreaterThan(0);
    expect(limits!.soft).toBe(limits!.hard);
    expect(raiseFileLimit()).toEqual({ limits });
  });

  it('raises a soft limit below the hard one to it, and says from where', () => {
    const { hard } = readFileLimits()!;
    const lowered = hard - 1;
    const text = hard === Infinity ? 'unlimited' : String(hard);
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${lowered}:${text}`]);
    try {
      expect(readFileLimits()!.soft).toBe(lowered);
      expect(raiseFileLimit()).toEqual({ limits: { soft: hard, hard }, raisedFrom: lowered });
    } finally {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${text}:${text}`]);
    }
  });

  it('knows nothing of a process that does not exist, and says so without throwing', () => {
    expect(readFileLimits(2 ** 30)).toBeUndefined();
    expect(raiseFileLimit(2 ** 30)).toEqual({ limits: undefined });
  });
});
