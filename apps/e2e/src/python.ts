import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, PYTHON } from './paths';
import { TestProcess } from './process';

/** Starts a Python fixture from apps/e2e/fixtures with Debian's python3 (pyzmq, msgpack). */
export function startPython(
  fixture: string,
  args: readonly string[],
  options?: { stdin?: string },
): TestProcess {
  return new TestProcess(PYTHON, ['-u', join(FIXTURES, fixture), ...args], options);
}

/** Runs a short Python program to completion; returns stdout. Throws with stderr on failure. */
export function runPython(code: string, input?: Buffer | string, timeoutMs = 20000): Buffer {
  const r = spawnSync(PYTHON, ['-c', code], {
    input,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    throw new Error(`python exited ${r.status ?? r.signal}: ${r.stderr?.toString() ?? ''}`);
  }
  return r.stdout;
}
