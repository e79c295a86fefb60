import { EventEmitter } from 'node:events';
import {
  handleStopSignals,
  signalExitCode,
  STOP_SIGNAL_WINDOW_MS,
  type SignalSource,
} from '../src/stop-signals';

/** Signals from an EventEmitter at times the test sets. */
function harness(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'], forwarded = false) {
  const emitter = new EventEmitter();
  const source = emitter as unknown as SignalSource;
  let clock = 0;
  const calls: string[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const handle = handleStopSignals(
    {
      stop: (s) => calls.push(`stop ${s}`),
      exitNow: (s) => calls.push(`exitNow ${s}`),
      repeated: (s, afterMs) => calls.push(`repeated ${s} ${afterMs}`),
    },
    {
      signals,
      source,
      now: () => clock,
      forwarded,
      setTimer: (fn, ms) => timers.push({ fn, ms, cleared: false }) - 1,
      clearTimer: (t) => {
        timers[t as number]!.cleared = true;
      },
    },
  );
  const remove = handle.remove;
  const send = (signal: NodeJS.Signals, atMs: number): void => {
    clock = atMs;
    emitter.emit(signal, signal);
  };
  return { calls, send, remove, emitter, handle, timers };
}

describe('handleStopSignals', () => {
  it('takes the duplicates of one Ctrl-C (terminal and npm, milliseconds apart) as one stop', () => {
    const { calls, send } = harness();
    send('SIGINT', 100);
    send('SIGINT', 103);
    send('SIGTERM', 100 + STOP_SIGNAL_WINDOW_MS);
    expect(calls).toEqual(['stop SIGINT', 'repeated SIGINT 3', 'repeated SIGTERM 1000']);
  });

  it('exits at once on a signal plainly later than the first, and on every one after', () => {
    const { calls, send } = harness();
    send('SIGTERM', 0);
    send('SIGINT', STOP_SIGNAL_WINDOW_MS + 1);
    send('SIGHUP', 5000);
    expect(calls).toEqual(['stop SIGTERM', 'exitNow SIGINT', 'exitNow SIGHUP']);
  });

  it('listens only to the signals it is given, until removed', () => {
    const { calls, send, remove, emitter } = harness(['SIGINT']);
    send('SIGTERM', 0);
    expect(calls).toEqual([]);
    send('SIGINT', 1);
    remove();
    expect(emitter.listenerCount('SIGINT')).toBe(0);
    send('SIGINT', 5000);
    expect(calls).toEqual(['stop SIGINT']);
  });
});

describe('StopSignals.beforeExit', () => {
  const settled = async (p: Promise<void>): Promise<boolean> => {
    let done = false;
    void p.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it('under a forwarding parent, waits for the copy of the first signal before the exit', async () => {
    const { send, handle, timers } = harness(['SIGINT'], true);
    send('SIGINT', 100);
    const exit = handle.beforeExit();
    expect(await settled(exit)).toBe(false);
    expect(timers.map((t) => t.ms)).toEqual([STOP_SIGNAL_WINDOW_MS]);
    send('SIGINT', 104);
    expect(await settled(exit)).toBe(true);
    expect(timers[0]!.cleared).toBe(true);
  });

  it('waits no longer than the window after the first signal when no copy comes', async () => {
    const { send, handle, timers } = harness(['SIGINT'], true);
    send('SIGINT', 100);
    send('SIGTERM', 400); // not listened to; the clock is 300 ms past the first signal
    const exit = handle.beforeExit();
    expect(timers.map((t) => t.ms)).toEqual([STOP_SIGNAL_WINDOW_MS - 300]);
    timers[0]!.fn();
    expect(await settled(exit)).toBe(true);
  });

  it('resolves at once with no parent that forwards, with no signal, or once the copy came', async () => {
    const alone = harness(['SIGINT'], false);
    alone.send('SIGINT', 0);
    expect(await settled(alone.handle.beforeExit())).toBe(true);
    const quiet = harness(['SIGINT'], true);
    expect(await settled(quiet.handle.beforeExit())).toBe(true);
    const both = harness(['SIGINT'], true);
    both.send('SIGINT', 0);
    both.send('SIGINT', 2);
    expect(await settled(both.handle.beforeExit())).toBe(true);
    expect([...alone.timers, ...quiet.timers, ...both.timers]).toEqual([]);
  });
});

describe('signalExitCode', () => {
  it('is 128 plus the signal number, as a shell reports a process a signal ended', () => {
    expect(signalExitCode('SIGHUP')).toBe(129);
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
