import { EventEmitter } from 'node:events';
import {
  handleStopSignals,
  signalExitCode,
  STOP_SIGNAL_WINDOW_MS,
  type SignalSource,
} from '../src/stop-signals';

/** Signals from an EventEmitter at times the test sets. */
function harness(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  const emitter = new EventEmitter();
  const source = emitter as unknown as SignalSource;
  let clock = 0;
  const calls: string[] = [];
  const remove = handleStopSignals(
    {
      stop: (s) => calls.push(`stop ${s}`),
      exitNow: (s) => calls.push(`exitNow ${s}`),
      repeated: (s, afterMs) => calls.push(`repeated ${s} ${afterMs}`),
    },
    { signals, source, now: () => clock },
  );
  const send = (signal: NodeJS.Signals, atMs: number): void => {
    clock = atMs;
    emitter.emit(signal, signal);
  };
  return { calls, send, remove, emitter };
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

describe('signalExitCode', () => {
  it('is 128 plus the signal number, as a shell reports a process a signal ended', () => {
    expect(signalExitCode('SIGHUP')).toBe(129);
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
