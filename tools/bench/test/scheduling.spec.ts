import { readFileSync } from 'node:fs';
import { parseOptions } from '../src/options';
import { ProcessGroup, fifoUnavailable, launch } from '../src/processes';

/** Field 41 of /proc/<pid>/stat: the scheduling policy (0 SCHED_OTHER, 1 SCHED_FIFO). */
function policyOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[38]);
}

describe('scheduling the processes of a run', () => {
  it('starts a fifo child through chrt and a default one as it is', () => {
    expect(launch('node', ['a.js', '1'])).toEqual({ command: 'node', args: ['a.js', '1'] });
    expect(launch('node', ['a.js'], 'fifo')).toEqual({
      command: 'chrt',
      args: ['--fifo', '1', 'node', 'a.js'],
    });
  });

  it('takes --sched only with a paced (--rate) run, and runs the SCHED_FIFO search by default', () => {
    expect(parseOptions([]).scheduling).toBe('default');
    expect(parseOptions([]).fifoSearch).toBe(true);
    expect(parseOptions(['--no-fifo']).fifoSearch).toBe(false);
    expect(parseOptions(['--rate', '1000', '--sched', 'fifo']).scheduling).toBe('fifo');
    expect(() => parseOptions(['--sched', 'fifo'])).toThrow(/needs --rate/);
    expect(() => parseOptions(['--rate', '1000', '--sched', 'rr'])).toThrow(
      /must be default or fifo, got rr/,
    );
  });

  it('runs a fifo child under SCHED_FIFO, or says why this machine cannot', async () => {
    const group = new ProcessGroup();
    try {
      const problem = fifoUnavailable();
      if (problem !== null) {
        expect(problem).toMatch(/chrt --fifo 1.*CAP_SYS_NICE/);
        return;
      }
      const script = "process.stdout.write(require('fs').readFileSync('/proc/self/stat', 'utf8'))";
      for (const [scheduling, policy] of [
        ['default', 0],
        ['fifo', 1],
      ] as const) {
        const child = group.spawn(scheduling, process.execPath, ['-e', script], scheduling);
        // 'close' comes after the output has been read, 'exit' may come before it.
        const code = await new Promise((resolve) => child.proc.on('close', resolve));
        expect(code).toBe(0);
        expect(policyOf(child.lines.join(''))).toBe(policy);
      }
      expect(policyOf(readFileSync('/proc/self/stat', 'utf8'))).toBe(0);
    } finally {
      await group.stopAll(1000);
    }
  });
});
