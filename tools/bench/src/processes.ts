// Every process the benchmark starts goes through one ProcessGroup, which kills them all on
// the way out: normal end, error, Ctrl-C or SIGTERM. Each wait is bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { processTree } from './proc';

const KEEP_LINES = 200;
/** Development aid: when set, every child's output lines are also appended to DIR/<name>.log. */
const LOG_DIR = process.env['BENCH_LOG_DIR'];
/** Development aid: Node flags for the load processes (`--cpu-prof`, `--trace-gc`…). */
const CHILD_ARGS = process.env['BENCH_CHILD_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];

/**
 * How the kernel schedules a child: `default` is the time-sharing scheduler every process
 * gets; `fifo` starts it under SCHED_FIFO at the lowest real-time priority (`chrt --fifo 1`),
 * so that it runs as soon as it wakes and until it blocks, never waiting out another process's
 * time slice. Only paced runs use it: a saturating real-time process would starve the machine.
 */
export type Scheduling = 'default' | 'fifo';

/** The command line that runs `command args` under `scheduling`. */
export function launch(
  command: string,
  args: string[],
  scheduling: Scheduling = 'default',
): { command: string; args: string[] } {
  return scheduling === 'fifo'
    ? { command: 'chrt', args: ['--fifo', '1', command, ...args] }
    : { command, args };
}

let fifoProblem: string | null | undefined;
/** Why this machine cannot start processes under SCHED_FIFO, or null when it can. */
export function fifoUnavailable(): string | null {
  if (fifoProblem === undefined) {
    const r = spawnSync('chrt', ['--fifo', '1', 'true'], { encoding: 'utf8', timeout: 5000 });
    fifoProblem =
      r.status === 0
        ? null
        : `\`chrt --fifo 1\` failed (${(r.error?.message ?? r.stderr).trim() || `exit ${r.status}`}): it needs CAP_SYS_NICE`;
  }
  return fifoProblem;
}

/** One child process: its recent output lines and IPC messages, with bounded waits. */
export class Child {
  readonly lines: string[] = [];
  private readonly inbox: unknown[] = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    const reader = (): ((chunk: Buffer) => void) => {
      let partial = '';
      return (chunk) => {
        const parts = (partial + chunk.toString('utf8')).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          if (line.trim() === '') continue;
          this.lines.push(line);
          if (LOG_DIR) appendFileSync(join(LOG_DIR, `${name}.log`), line + '\n');
          if (this.lines.length > KEEP_LINES) this.lines.shift();
        }
        this.wake();
      };
    };
    proc.stdout?.on('data', reader());
    proc.stderr?.on('data', reader());
    proc.on('message', (m) => {
      this.inbox.push(m);
      this.wake();
    });
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    void this.exited.then(() => this.wake());
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private async until<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const found = find();
    if (found !== undefined) return found;
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = find();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (!this.running) {
          done();
          reject(new Error(`${this.name} exited while waiting for ${what}:\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Resolves with the first output line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return this.until(() => this.lines.find((l) => pattern.test(l)), timeoutMs, `line ${pattern}`);
  }

  /** Resolves with (and removes) the first IPC message of `type`. */
  waitForMessage<T extends { type: string }>(type: T['type'], timeoutMs: number): Promise<T> {
    return this.until(
      () => {
        const i = this.inbox.findIndex((m) => (m as { type?: string }).type === type);
        return i < 0 ? undefined : (this.inbox.splice(i, 1)[0] as T);
      },
      timeoutMs,
      `"${type}" message`,
    );
  }

  /** Asks over IPC and waits for the answer of the same type. */
  async ask<T extends { type: string }>(
    request: { type: T['type'] },
    timeoutMs: number,
  ): Promise<T> {
    this.send(request);
    return this.waitForMessage<T>(request.type, timeoutMs);
  }

  send(message: unknown): void {
    if (this.proc.connected) this.proc.send(message as object);
  }

  /** Signals, waits up to `graceMs`, then kills. Resolves once the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  tail(n = 20): string {
    return this.lines.slice(-n).join('\n');
  }
}

/** The set of processes started by this run. */
export class ProcessGroup {
  private readonly children = new Set<Child>();

  /** A Node program with an IPC channel (bench producers, consumers); `env` as for spawn(). */
  fork(
    name: string,
    modulePath: string,
    args: string[],
    scheduling?: Scheduling,
    env?: NodeJS.ProcessEnv,
  ): Child {
    const run = launch(process.execPath, [...CHILD_ARGS, modulePath, ...args], scheduling);
    const proc = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
    return this.track(new Child(name, proc));
  }

  /** Any program (brokers); `env` replaces the environment it inherits. */
  spawn(
    name: string,
    command: string,
    args: string[],
    scheduling?: Scheduling,
    env?: NodeJS.ProcessEnv,
  ): Child {
    const run = launch(command, args, scheduling);
    const proc = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    return this.track(new Child(name, proc));
  }

  private track(child: Child): Child {
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
    return child;
  }

  /** Stops every child still running (SIGTERM, then SIGKILL after the grace period). */
  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.children].map((c) => c.stop('SIGTERM', graceMs)));
  }

  /**
   * Last resort, synchronous: for process 'exit' and signal handlers. Kills each child's
   * descendants too (RabbitMQ's script runs the Erlang VM as its child).
   */
  killAll(): void {
    for (const c of this.children) {
      if (!c.running) continue;
      for (const pid of processTree(c.pid).reverse()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}
