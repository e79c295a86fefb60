// What the kernel says about the broker process: CPU time and peak memory, from /proc.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** utime + stime in clock ticks, from the text of /proc/<pid>/stat. */
export function parseStatTicks(stat: string): number {
  // Field 2 (comm) may contain spaces and parentheses: parse after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime))
    throw new Error('unreadable /proc stat line');
  return utime + stime;
}

/** The parent process id, from the text of /proc/<pid>/stat (field 4). */
export function parseStatParent(stat: string): number {
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (!Number.isInteger(ppid)) throw new Error('unreadable /proc stat line');
  return ppid;
}

/** A `Vm…:  N kB` field of /proc/<pid>/status in bytes, or NaN when absent. */
export function parseStatusBytes(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * Clock ticks per second (`getconf CLK_TCK`, 100 on Linux when getconf is missing). Read once,
 * when the module loads: spawning getconf later, the first time a CPU figure is read, put a
 * process start right at the opening of a measured window.
 */
const TICKS_PER_SECOND = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** CPU seconds (user + system, all threads) the process has used so far. */
export function cpuSeconds(pid: number): number {
  return parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / TICKS_PER_SECOND;
}

/** Peak resident set (VmHWM) and current resident set (VmRSS), bytes. */
export function memory(pid: number): { peakRss: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { peakRss: parseStatusBytes(status, 'VmHWM'), rss: parseStatusBytes(status, 'VmRSS') };
}

/** `root` and every process descended from it, now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === root) continue;
    let ppid: number;
    try {
      ppid = parseStatParent(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      continue; // gone meanwhile
    }
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const todo = [root];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}
