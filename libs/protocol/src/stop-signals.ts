/**
 * How every zmq-mq program takes a stop signal: one user action is one stop. In a terminal,
 * Ctrl-C sends SIGINT to the whole foreground process group, and npm forwards the SIGINT and
 * SIGTERM it gets to its child: a program under `npm start` gets one key press twice,
 * milliseconds apart, as it does from `kill -TERM -- -PGID`. Only a signal that comes plainly
 * later, past STOP_SIGNAL_WINDOW_MS, is a second request: exit at once.
 */
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { debuglog } from 'node:util';

/**
 * Signals within this time of the first (ms) are the same request to stop. The duplicates
 * that a terminal and npm deliver come milliseconds apart; a person pressing Ctrl-C again
 * because the drain takes too long does so later than this.
 */
export const STOP_SIGNAL_WINDOW_MS = 1000;

/** What a program does with stop signals. */
export interface StopRequests {
  /** The first signal: stop gracefully (drain, flush, summarise, then exit). */
  stop(signal: NodeJS.Signals): void;
  /** Each signal more than the window after the first: exit at once. */
  exitNow(signal: NodeJS.Signals): void;
  /**
   * Each signal within the window: the same request, nothing to do. By default a line on
   * stderr when NODE_DEBUG names `zmq-mq` (Node's debug log).
   */
  repeated?(signal: NodeJS.Signals, afterMs: number): void;
}

/** Where signals come from: `process`, or an EventEmitter in a test. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface StopSignalOptions {
  /** The signals that ask for a stop. */
  signals: readonly NodeJS.Signals[];
  /** STOP_SIGNAL_WINDOW_MS by default. */
  windowMs?: number;
  /** `process` by default. */
  source?: SignalSource;
  /** Milliseconds on a monotonic clock (`performance.now` by default). */
  now?: () => number;
  /**
   * Whether a parent forwards each stop signal it gets to this process, so that one signal to
   * the process group arrives twice. By default: when run by npm (`npm_lifecycle_event` is set).
   */
  forwarded?: boolean;
  /** Timers for beforeExit (`setTimeout`/`clearTimeout` by default). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

/** The stop-signal listeners of a program. */
export interface StopSignals {
  /** Remove the listeners (Node's default action applies again). */
  remove(): void;
  /**
   * Resolves when the program may exit. Under a forwarding parent (npm), a signal to the group
   * reaches the program twice, and the copy can land while the process is tearing down, after
   * Node has put back the default action: the program would then die by the signal and npm
   * would report 130 for a clean stop. So after a first signal and no copy yet, this waits for
   * the copy, at most until the window after the first signal closes. Otherwise it resolves
   * at once.
   */
  beforeExit(): Promise<void>;
}

const debug = debuglog('zmq-mq');

/**
 * Listens for `options.signals` and calls `requests.stop` on the first, `requests.repeated` on
 * any within the window after it, and `requests.exitNow` on any later. The listeners replace
 * Node's default action (ending the process at once).
 */
export function handleStopSignals(requests: StopRequests, options: StopSignalOptions): StopSignals {
  const windowMs = options.windowMs ?? STOP_SIGNAL_WINDOW_MS;
  const source: SignalSource = options.source ?? process;
  const now = options.now ?? (() => performance.now());
  const repeated =
    requests.repeated ??
    ((signal: NodeJS.Signals, afterMs: number) =>
      debug('%s %d ms after the first stop signal: the same request', signal, afterMs));
  const forwarded = options.forwarded ?? process.env['npm_lifecycle_event'] !== undefined;
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  let first: number | undefined;
  let copies = 0;
  let copyArrived: (() => void) | undefined;
  const listener = (signal: NodeJS.Signals): void => {
    const at = now();
    if (first === undefined) {
      first = at;
      requests.stop(signal);
    } else if (at - first <= windowMs) {
      copies += 1;
      copyArrived?.();
      repeated(signal, Math.round(at - first));
    } else {
      requests.exitNow(signal);
    }
  };
  for (const signal of options.signals) source.on(signal, listener);
  return {
    remove: () => {
      for (const signal of options.signals) source.off(signal, listener);
    },
    beforeExit: () => {
      if (!forwarded || first === undefined || copies > 0) return Promise.resolve();
      const waitMs = Math.max(0, first + windowMs - now());
      return new Promise<void>((resolve) => {
        const timer = setTimer(() => done(), waitMs);
        const done = (): void => {
          clearTimer(timer);
          copyArrived = undefined;
          resolve();
        };
        copyArrived = done;
      });
    },
  };
}

/** The exit status of a process ended by `signal`, as a shell reports it: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
