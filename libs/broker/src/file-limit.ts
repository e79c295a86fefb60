import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The process's limits on open files (RLIMIT_NOFILE); `Infinity` stands for unlimited. */
export interface FileLimits {
  soft: number;
  hard: number;
}

/** What `raiseFileLimit` found and did. */
export interface FileLimitReport {
  /** The limits after the attempt (undefined where /proc/self/limits cannot be read). */
  limits: FileLimits | undefined;
  /** The soft limit before it was raised, when it was. */
  raisedFrom?: number;
  /** Why the soft limit is still below the hard limit, when it is. */
  problem?: string;
}

const LIMIT_LINE = /^Max open files\s+(\S+)\s+(\S+)/m;

function limitValue(text: string): number {
  return text === 'unlimited' ? Infinity : Number(text);
}

/** The open-file limits from `/proc/<pid>/limits` (Linux); undefined where it cannot be read. */
export function readFileLimits(pid: number | 'self' = 'self'): FileLimits | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/limits`, 'latin1');
  } catch {
    return undefined;
  }
  const m = LIMIT_LINE.exec(text);
  if (m === null) return undefined;
  return { soft: limitValue(m[1] as string), hard: limitValue(m[2] as string) };
}

/**
 * Raises the soft limit on open files to the hard limit (each connection, ZeroMQ or HTTP, holds
 * a descriptor), and reports both. Node already does this as it starts (node.cc: setrlimit of
 * RLIMIT_NOFILE to the hard limit; measured: under `prlimit --nofile=1024:4096` a Node process
 * reads 4096 soft), so this acts only where that did not happen, an embedder that turned it off:
 * Node has no setrlimit of its own, so it runs util-linux's `prlimit` on this process's pid,
 * which a process may do to itself within its hard limit. Never throws: a failure is reported.
 */
export function raiseFileLimit(pid: number = process.pid): FileLimitReport {
  const before = readFileLimits(pid);
  if (before === undefined || before.soft >= before.hard) return { limits: before };
  const hard = before.hard === Infinity ? 'unlimited' : String(before.hard);
  const run = spawnSync('prlimit', ['--pid', String(pid), `--nofile=${hard}:${hard}`], {
    encoding: 'utf8',
    timeout: 2000,
  });
  const after = readFileLimits(pid);
  const raised = after !== undefined && after.soft > before.soft;
  const report: FileLimitReport = { limits: after, ...(raised ? { raisedFrom: before.soft } : {}) };
  if (after === undefined || after.soft < after.hard) {
    const why = run.error?.message ?? (run.stderr.trim() || `prlimit exited with ${run.status}`);
    report.problem = `cannot raise the soft limit to the hard limit: ${why}`;
  }
  return report;
}
