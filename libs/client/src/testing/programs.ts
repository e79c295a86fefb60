/**
 * Programs under test as child processes, for the tests of services built on the SDK: what a
 * program prints, line by line, a wait for a line, and a signal to stop it. Every wait ends on
 * an event (a line, the exit) or its deadline.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { childEnv, DEFAULT_WAIT_MS, freeEndpoint, withTimeout } from '@zmq-mq/protocol/testing';

/** How a program ended: its exit code, or the signal that ended it. */
export interface ProgramExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child process whose stdout and stderr are kept as lines. Close it to be sure it ended. */
export class Program {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private readonly changes = new EventEmitter();
  private readonly ended: Promise<ProgramExit>;
  private exited: ProgramExit | undefined;

  constructor(
    readonly command: string,
    args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.keepLines(this.child.stdout, this.stdout);
    this.keepLines(this.child.stderr, this.stderr);
    this.ended = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exited = { code, signal };
        this.changes.emit('change');
        resolve(this.exited);
      });
    });
  }

  /** Everything printed so far: stdout, then stderr. */
  get output(): string {
    return [...this.stdout, ...this.stderr].join('\n');
  }

  /**
   * The first line, on stdout or stderr, that matches `pattern` (a RegExp, or a test of the
   * line). Rejects if the program ends without printing one, or after `timeoutMs`; either way
   * the error shows the output.
   */
  line(
    pattern: RegExp | ((line: string) => boolean),
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<string> {
    const matches = typeof pattern === 'function' ? pattern : (l: string) => pattern.test(l);
    let listener: (() => void) | undefined;
    const found = new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const hit = [...this.stdout, ...this.stderr].find(matches);
        if (hit !== undefined) resolve(hit);
        else if (this.exited !== undefined) {
          const how = JSON.stringify(this.exited);
          reject(
            new Error(
              `${this.command} ended (${how}) without printing ${pattern}:\n${this.output}`,
            ),
          );
        }
      };
      listener = check;
      this.changes.on('change', check);
      check();
    });
    return withTimeout(
      found,
      timeoutMs,
      () => `${pattern} from ${this.command}:\n${this.output}`,
    ).finally(() => this.changes.off('change', listener as () => void));
  }

  /** How the program ended, once it has; rejects after `timeoutMs` (the program is then killed). */
  async exit(timeoutMs = DEFAULT_WAIT_MS): Promise<ProgramExit> {
    try {
      return await withTimeout(
        this.ended,
        timeoutMs,
        () => `${this.command} to end:\n${this.output}`,
      );
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Sends `signal` (SIGTERM by default) and resolves with how the program ended. */
  stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = DEFAULT_WAIT_MS): Promise<ProgramExit> {
    if (this.exited === undefined) this.child.kill(signal);
    return this.exit(timeoutMs);
  }

  /** Kills the program if it still runs (for `Closer`, after a test). */
  close(): void {
    if (this.exited === undefined) this.child.kill('SIGKILL');
  }

  private keepLines(stream: NodeJS.ReadableStream | null, into: string[]): void {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      into.push(...lines);
      this.changes.emit('change');
    });
    stream?.on('end', () => {
      if (rest !== '') into.push(rest);
      rest = '';
      this.changes.emit('change');
    });
  }
}

/** A broker program running on free loopback endpoints. `close()` stops it with SIGTERM. */
export interface BrokerProgram {
  readonly ingress: string;
  readonly publish: string;
  readonly push: string;
  readonly program: Program;
  close(): Promise<ProgramExit>;
}

/**
 * Starts the broker built at `main` (the workspace's `dist/apps/broker/main.js`) on three free
 * loopback endpoints, monitor and durable queues off (no reliable port, no data directory),
 * and resolves once it says it started.
 */
export async function startBrokerProgram(
  main: string,
  args: readonly string[] = [],
  timeoutMs = 2 * DEFAULT_WAIT_MS,
): Promise<BrokerProgram> {
  const [ingress, publish, push] = [
    await freeEndpoint(),
    await freeEndpoint(),
    await freeEndpoint(),
  ];
  const program = new Program(process.execPath, [
    main,
    ...['--ingress', ingress, '--publish', publish, '--push', push, '--monitor', 'off'],
    ...['--reliable', 'off'],
    ...args,
  ]);
  try {
    await program.line(/"msg":"broker started"/, timeoutMs);
  } catch (err) {
    program.close();
    throw err;
  }
  return { ingress, publish, push, program, close: () => program.stop('SIGTERM', timeoutMs) };
}
