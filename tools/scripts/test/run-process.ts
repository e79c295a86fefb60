import { spawn } from 'node:child_process';
import type { SpawnOptions } from 'node:child_process';

export interface Run {
  code: number | null;
  /** stdout and stderr, interleaved as they came. */
  output: string;
}

/** Runs a real process to its end (killed after 120 s) and collects what it printed. */
export function runProcess(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
