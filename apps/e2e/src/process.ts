import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './paths';
import { childEnv } from '@zmq-mq/protocol/testing';

/** A child process whose output is collected line by line, for end-to-end tests. */
export class TestProcess {
  readonly child: ChildProcess;
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly detached: boolean;

  constructor(
    command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string; detached?: boolean } = {},
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: childEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      // A process group of its own (setsid), as a terminal gives the command it runs.
      detached: options.detached === true,
    });
    this.detached = options.detached === true;
    this.collect(this.child.stdout, this.stdoutLines);
    this.collect(this.child.stderr, this.stderrLines);
    if (options.stdin !== undefined) this.child.stdin?.end(options.stdin);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  private collect(stream: NodeJS.ReadableStream | null, into: string[]): void {
    if (stream === null) return;
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      into.push(...parts);
      this.notify();
    });
    stream.on('end', () => {
      if (rest) into.push(rest);
      rest = '';
      this.notify();
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  get output(): string {
    return [...this.stdoutLines, ...this.stderrLines].join('\n');
  }

  /** Resolves with the first line (stdout or stderr) matching `pattern`; rejects after `timeoutMs`. */
  async waitForLine(
    pattern: RegExp,
    timeoutMs = 10000,
    stream: 'stdout' | 'stderr' | 'any' = 'any',
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines =
        stream === 'stdout'
          ? this.stdoutLines
          : stream === 'stderr'
            ? this.stderrLines
            : [...this.stdoutLines, ...this.stderrLines];
      const hit = lines.find((l) => pattern.test(l));
      if (hit !== undefined) return hit;
      if (this.exitInfo !== undefined) {
        throw new Error(
          `process exited (${JSON.stringify(this.exitInfo)}) before printing ${pattern}:\n${this.output}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until stdout has at least `count` lines; rejects after `timeoutMs`. */
  async waitForStdoutLines(count: number, timeoutMs = 10000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.stdoutLines.filter((l) => l.length > 0).length < count) {
      if (this.exitInfo !== undefined) break;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} lines:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.stdoutLines.filter((l) => l.length > 0);
  }

  /** Waits for exit; kills with SIGKILL and rejects if it takes longer than `timeoutMs`. */
  async waitForExit(
    timeoutMs = 10000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`process did not exit within ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` and waits for exit. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 10000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exitInfo !== undefined) return this.exitInfo;
    this.child.kill(signal);
    return this.waitForExit(timeoutMs);
  }

  /**
   * Sends `signal` to every process of the group (started with `detached`), as Ctrl-C in a
   * terminal does to the foreground group: a wrapper such as npm and the program it runs.
   */
  signalGroup(signal: NodeJS.Signals): void {
    if (!this.detached || this.child.pid === undefined) throw new Error('not a process group');
    process.kill(-this.child.pid, signal);
  }

  /** For afterEach: make sure nothing outlives the test (the whole group, when detached). */
  kill(): void {
    if (this.detached && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // the group has ended
      }
    } else if (this.exitInfo === undefined) {
      this.child.kill('SIGKILL');
    }
  }
}

/** Runs `node <script> args` as a TestProcess. */
export function startNode(
  script: string,
  args: readonly string[],
  options?: { env?: NodeJS.ProcessEnv; stdin?: string },
): TestProcess {
  return new TestProcess(process.execPath, [script, ...args], options);
}
